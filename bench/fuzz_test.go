package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzReadHGRM: the .hgrm reader never panics, and whatever it accepts
// is consistent (its last row counts what the footer says).
func FuzzReadHGRM(f *testing.F) {
	var good bytes.Buffer
	writeHGRM(&good, histOf(1000, 2000, 3000, 1e6))
	f.Add(good.Bytes())
	f.Add([]byte("#[Max     =        1.000, Total count    =            0]\n"))
	f.Add([]byte("1.0 1.0 2 inf\n#[Max = 1, Total count = 2]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ReadHGRM(bytes.NewReader(in))
		if err != nil {
			return
		}
		if n := len(h.Rows); n > 0 && h.Rows[n-1].TotalCount != h.TotalCount {
			t.Fatalf("accepted a distribution whose last row counts %d and footer %d", h.Rows[n-1].TotalCount, h.TotalCount)
		}
	})
}

// FuzzParseSummary: the summary reader never panics, and a summary it
// accepts survives a JSON round trip unchanged.
func FuzzParseSummary(f *testing.F) {
	f.Add([]byte(`{"command":"bench","records_received":5,"latency_us":{"p50":1,"p99":2},"baselines":[{"path":"tcp","latency_us":{"p50":1}}]}`))
	f.Add([]byte("human text\n{\"records_received\":1,\"sweep\":{\"max_rate_under_sla\":5,\"steps\":[{\"rate\":1}]}}\n"))
	f.Add([]byte(`{"command":"demo","records_received":1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := parseSummary("fuzz", in)
		if err != nil {
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			return // NaN or Inf cannot be marshalled; json.Unmarshal never makes them
		}
		again, err := parseSummary("again", b)
		if err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the summary:\n%+v\n%+v", s, again)
		}
		compareRuns(s, again) // must not panic
	})
}

// FuzzBuckets: the libzmq baseline's histogram file parses or is refused
// with an error, never a panic, and what parses counts what it says.
func FuzzBuckets(f *testing.F) {
	f.Add([]byte("m 18888 1\nm 23800 2\nw 100 5\n"))
	f.Add([]byte("m -5 1\n"))
	f.Add([]byte("x 1 1\n"))
	f.Add([]byte("m 1 9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, w, err := parseBuckets("fuzz", data)
		if err != nil {
			return
		}
		var want int64
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if fs := strings.Fields(line); len(fs) == 3 {
				n, _ := strconv.ParseInt(fs[2], 10, 64)
				want += n
			}
		}
		if got := m.TotalCount() + w.TotalCount(); got != want && want >= 0 {
			t.Fatalf("parsed %d values, the lines say %d", got, want)
		}
	})
}
