package feed

import (
	"strconv"
	"time"
)

// Day is a synthetic trading day (bbox gen): the generator's mix laid
// over a session's clock. Every field is required except Flat.
type Day struct {
	Records int64   // records in the day
	Symbols int     // the universe the Zipf draw picks symbols from
	Size    int     // mean record size on the wire, bytes (sizes vary as ITCH's do)
	Seed    uint64  // the same Day gives the same records
	Zipf    float64 // exponent of symbol activity
	// Open is the session's open; its Location is the day's zone.
	Open    time.Time
	Session time.Duration // the session's length, > 0
	Flat    bool          // spread records evenly instead of the intraday curve
}

// GenConfig is the generator's config for the day: records spread over
// the session, by the intraday curve unless Flat.
func (d Day) GenConfig() GenConfig {
	gc := GenConfig{Symbols: d.Symbols, Size: d.Size, VarySize: true, Seed: d.Seed, Zipf: d.Zipf, Records: d.Records,
		Chunk: 1024, SimStart: d.Open.UnixNano(), SimRate: float64(d.Records) / d.Session.Seconds()}
	if !d.Flat {
		gc.SimCurve = IntradayCurve(d.Session)
	}
	return gc
}

// Meta describes the day for a capture's header: what made it, enough to
// make it again.
func (d Day) Meta() map[string]string {
	curve := "intraday"
	if d.Flat {
		curve = "flat"
	}
	return map[string]string{
		"source": "bbox gen", "seed": strconv.FormatUint(d.Seed, 10), "symbols": strconv.Itoa(d.Symbols),
		"records": strconv.FormatInt(d.Records, 10), "size": strconv.Itoa(d.Size), "zipf": strconv.FormatFloat(d.Zipf, 'g', -1, 64),
		"tz": d.Open.Location().String(), "open": d.Open.Format(time.RFC3339), "session": d.Session.String(), "curve": curve,
	}
}
