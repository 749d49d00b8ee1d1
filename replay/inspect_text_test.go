package replay

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestInspectText: a whole file reads as healthy, with the right nouns; a
// torn one as DAMAGED, and its damage is an error naming file and offset.
func TestInspectText(t *testing.T) {
	whole := writeFile(t, testRecords(t, 3000, 2), 8<<10)
	for _, c := range []struct {
		file []byte
		want []string
		bad  int
	}{
		{whole, []string{"mem: bbox capture v", "closed cleanly (indexed)", "  records    3,000 in ", "  zone       UTC, here",
			"  per minute mean", "  checksum   ", "  health     ok: "}, 0},
		{whole[:len(whole)/2], []string{"not closed cleanly", "  health     DAMAGED: ", "1 torn tail", "lost as far as headers tell"}, 1},
	} {
		r, err := NewReader(bytes.NewReader(c.file), int64(len(c.file)), "mem")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Inspect([]*Reader{r}, 3)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		rep.WriteText(&b, time.UTC, "UTC, here")
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("lacks %q:\n%s", w, b.String())
			}
		}
		if m := regexWrongNoun.FindString(b.String()); m != "" {
			t.Errorf("wording %q in:\n%s", m, b.String())
		}
		if d := rep.Damage(); len(d) != c.bad || (c.bad > 0 && (d[0].File != "mem" || d[0].Kind != KindTorn)) {
			t.Errorf("damage %v, want %d", d, c.bad)
		}
	}
}

var regexWrongNoun = regexp.MustCompile(`\b1 (chunks|records|symbols|streams|gaps)\b|\(s\)`)
