package cli

import (
	"errors"
	"flag"
	"fmt"
)

// Exit statuses of a command that stops at its flags (the Footer's 0
// and 2).
const (
	ExitHelp  = 0
	ExitUsage = 2
)

// Exit is a command's answer to what Parse or ParseInterleaved returned
// for fs: for nil, go on (ok); for flag.ErrHelp, the help (fs.Usage) and
// ExitHelp; for any other error, one line on fs's output, "NAME: ERR",
// then hint (where to read the command's flags), and ExitUsage.
func Exit(fs *flag.FlagSet, err error, hint string) (code int, ok bool) {
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return ExitHelp, false
	}
	fmt.Fprintf(fs.Output(), "%s: %v\n%s\n", fs.Name(), err, hint)
	return ExitUsage, false
}

// ParseNone is Parse for a command that takes no positional arguments:
// one is an error naming it.
func (s *Spec) ParseNone(fs *flag.FlagSet, args []string) error {
	if err := s.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
