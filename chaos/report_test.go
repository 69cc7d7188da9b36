package chaos

import (
	"fmt"
	"os"
	"testing"
)

// report prints a figure line for the end of make chaos (without -v too).
func report(t *testing.T, what, format string, args ...any) {
	t.Helper()
	fmt.Fprintf(os.Stdout, "CHAOS %-28s "+format+"\n", append([]any{what}, args...)...)
}
