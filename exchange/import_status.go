package exchange

import (
	"fmt"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/internal/words"
)

// ImportInputs is DetectInputs for a conversion, which only exchange
// inputs can feed: files that are none of them are an error naming them.
func ImportInputs(files []string) ([]Input, error) {
	ins, ok, err := DetectInputs(files)
	if err == nil && !ok {
		err = fmt.Errorf("%s: not an ITCH 5.0 file, pcap or pcapng (checked by content)", strings.Join(files, ", "))
	}
	return ins, err
}

// Status is the live status line of a Run after el: the records written,
// at rate(records) per second. It may be called while Run runs.
func (im *Import) Status(el time.Duration, rate func(n int64) float64) string {
	n := im.Records()
	return fmt.Sprintf("[%2.0fs] %s records  %s rec/s", el.Seconds(), words.Group(n), words.RateFixed(rate(n)))
}
