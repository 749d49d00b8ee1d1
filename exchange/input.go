package exchange

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bbox-dev/bbox/itch"
)

// Kind is what an input file holds.
type Kind string

const (
	None   Kind = ""       // not an exchange input (a bbox capture, or unknown)
	ITCH   Kind = "itch"   // NASDAQ daily file framing, plain or gzip
	PCAP   Kind = "pcap"   // libpcap capture, plain or gzip
	PCAPNG Kind = "pcapng" // pcapng capture, plain or gzip
)

// Input is a file name with its options: day.pcap?port=26477&group=233.54.12.1.
type Input struct {
	Path  string
	Port  int        // keep only UDP flows to this destination port (0: any)
	Group netip.Addr // keep only flows to this destination address (invalid: any)
	Kind  Kind
	Gzip  bool
	Date  string // date=YYYY-MM-DD: the trading day (else Config.Day, the file name, or the capture)
	TZ    string // tz=ZONE: the feed's time zone (else Config.Loc)
}

// ParseInput splits a file name from its ?port=&group= options. A name
// with a '?' that is an existing file is taken as it is.
func ParseInput(spec string) (Input, error) {
	in := Input{Path: spec}
	i := strings.LastIndexByte(spec, '?')
	if i < 0 {
		return in, nil
	}
	if _, err := os.Stat(spec); err == nil {
		return in, nil
	}
	in.Path = spec[:i]
	q, err := url.ParseQuery(spec[i+1:])
	if err != nil {
		return in, fmt.Errorf("%s: options: %v", spec, err)
	}
	for k, v := range q {
		val := v[len(v)-1]
		switch k {
		case "port":
			p, err := strconv.Atoi(val)
			if err != nil || p < 1 || p > 65535 {
				return in, fmt.Errorf("%s: port=%q: want a UDP port 1..65535", spec, val)
			}
			in.Port = p
		case "group":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is4() {
				return in, fmt.Errorf("%s: group=%q: want an IPv4 address", spec, val)
			}
			in.Group = a
		case "date":
			if _, err := time.Parse("2006-01-02", val); err != nil {
				return in, fmt.Errorf("%s: date=%q: want YYYY-MM-DD", spec, val)
			}
			in.Date = val
		case "tz":
			if _, err := time.LoadLocation(val); err != nil {
				return in, fmt.Errorf("%s: tz=%q: %v", spec, val, err)
			}
			in.TZ = val
		default:
			return in, fmt.Errorf("%s: unknown option %q (want port=, group=, date= or tz=)", spec, k)
		}
	}
	return in, nil
}

// Detect reads the start of in.Path and sets in.Kind (None if the file is
// not an exchange input) and in.Gzip. It fails only if the file cannot be
// read.
func Detect(in *Input) error {
	f, err := os.Open(in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(2)
	var r io.Reader = br
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil // a damaged gzip file is nobody's input; let the caller say so
		}
		in.Gzip = true
		r = zr
	}
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(r, buf)
	in.Kind = sniff(buf[:n])
	return nil
}

func sniff(b []byte) Kind {
	if len(b) >= 4 {
		switch string(b[:4]) {
		case "\xa1\xb2\xc3\xd4", "\xd4\xc3\xb2\xa1", "\xa1\xb2\x3c\x4d", "\x4d\x3c\xb2\xa1":
			return PCAP
		case "\x0a\x0d\x0d\x0a":
			return PCAPNG
		}
	}
	// NASDAQ framing: length-prefixed messages back to back through the
	// sample, most of them (at least one, and at least three of four)
	// well-formed; a damaged message or two is the reader's to report.
	good, bad := 0, 0
	p := b
	for len(p) >= 2 && good+bad < 64 {
		n := int(p[0])<<8 | int(p[1])
		if len(p) < 2+n {
			break
		}
		if itch.Check(p[2:2+n]) != nil {
			bad++
		} else {
			good++
		}
		p = p[2+n:]
	}
	if good > 0 && good >= 3*bad && itch.Check(b[2:2+(int(b[0])<<8|int(b[1]))]) == nil {
		return ITCH
	}
	return None
}

var nasdaqName = regexp.MustCompile(`(?:^|[^0-9])([01][0-9])([0-3][0-9])((?:19|20)[0-9]{2})\.`)

// DateFromName reads the trading day from a NASDAQ file name such as
// 01302019.NASDAQ_ITCH50(.gz): month, day, year.
func DateFromName(path string) (y int, m time.Month, d int, ok bool) {
	sm := nasdaqName.FindStringSubmatch(filepath.Base(path))
	if sm == nil {
		return 0, 0, 0, false
	}
	mm, _ := strconv.Atoi(sm[1])
	dd, _ := strconv.Atoi(sm[2])
	yy, _ := strconv.Atoi(sm[3])
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if mm < 1 || mm > 12 || t.Day() != dd {
		return 0, 0, 0, false
	}
	return yy, time.Month(mm), dd, true
}
