package words

import (
	"fmt"
	"time"
)

// Micros spells a latency given in µs at a readable precision: whole µs
// below a millisecond ("57µs"), ms with two decimals below a second
// ("1.25ms"), then a Go duration rounded to the ms ("2.5s").
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
