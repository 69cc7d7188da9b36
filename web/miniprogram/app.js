// 校园e码通: the holder's mini-program of ecard.
App({})
