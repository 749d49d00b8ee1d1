package alerts

import (
	"encoding/json"

	"github.com/bbox-dev/bbox/internal/zmqx"
)

// Open is NewPub for a process whose alert endpoint is optional: ""
// gives a nil *Pub, whose Publish and Close do nothing; a bound one is
// logged with logf (which must not be nil) as "alerts on ENDPOINT".
func Open(endpoint string, o zmqx.Options, logf func(string, ...any)) (*Pub, error) {
	if endpoint == "" {
		return nil, nil
	}
	a, err := NewPub(endpoint, o, logf)
	if err != nil {
		return nil, err
	}
	logf("alerts on %s", a.Endpoint())
	return a, nil
}

// Format is ev as a console prints it: its JSON, or Line.
func Format(ev Event, asJSON bool) string {
	if asJSON {
		b, _ := json.Marshal(ev) // an Event always marshals
		return string(b)
	}
	return Line(ev)
}
