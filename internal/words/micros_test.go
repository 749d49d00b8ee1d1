package words

import "testing"

func TestMicros(t *testing.T) {
	for us, want := range map[float64]string{0: "0µs", 57.4: "57µs", 999: "999µs", 1250: "1.25ms", 999000: "999.00ms", 2.5e6: "2.5s", 61e6: "1m1s"} {
		if got := Micros(us); got != want {
			t.Errorf("Micros(%v) = %q, want %q", us, got, want)
		}
	}
}
