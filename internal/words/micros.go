package words

import (
	"fmt"
	"time"
)

// Micros writes a latency given in microseconds at a precision that
// fits it: 850µs, 12.34ms, 2.5s.
func Micros(us float64) string {
	d := time.Duration(us * 1e3)
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", us)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", us/1e3)
	}
	return d.Round(time.Millisecond).String()
}
