package ledger

// typedInitial reads what a holder typed the way the school's rule made the
// initial secret: with the id_last6 rule an ID ending in X was stored as 0, so
// "65432X" (or "65432x") typed while that initial secret is still in use is
// "654320". Any other value is left as typed.
func typedInitial(school School, stillInitial bool, typed string) string {
	if !stillInitial || school.InitialPasswordRule != "id_last6" || !idLast6.MatchString(typed) {
		return typed
	}
	return InitialSecret(school.InitialPasswordRule, typed)
}
