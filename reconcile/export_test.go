package reconcile

// SetMaxDataLines lowers the bound on detail rows for one test, so the bound
// is reached without writing a million lines.
func SetMaxDataLines(n int) (restore func()) {
	old := maxDataLines
	maxDataLines = n
	return func() { maxDataLines = old }
}
