package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Checked is a string flag value that holds only values check accepts:
// a setting whose owning package says what is valid (a core list, a GC
// percent), checked when set so that a bad value in a config file is
// reported with its line. Its default is *p as it is when registered.
func Checked(p *string, check func(string) error) flag.Value { return checked{p, check} }

type checked struct {
	p     *string
	check func(string) error
}

func (c checked) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}

func (c checked) Set(s string) error {
	if err := c.check(s); err != nil {
		return err
	}
	*c.p = s
	return nil
}

// DurationAtLeast is the setter of a duration flag (flag.FlagSet.Func)
// that stores in p a duration of least or more. A Func flag has no
// default of its own, so help shows the one its usage states.
func DurationAtLeast(least time.Duration, p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err == nil && d >= least {
			*p = d
			return nil
		}
		if least == 0 {
			return errors.New("want a duration ≥ 0 such as 1s")
		}
		return fmt.Errorf("want a duration of at least %v", least)
	}
}
