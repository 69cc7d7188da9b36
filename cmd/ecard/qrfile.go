package main

import "errors"

func decodeQRFile(string) (string, error) { return "", errors.New("todo") }
