package replay

import (
	"io"
	"time"
)

// InspectSummary is bbox inspect's closing report: the Report (its JSON
// keys include CLI.md's records, symbols, first_ts, last_ts, bytes,
// compressed_bytes, chunks) with the command's name and the zone its
// times are shown in.
type InspectSummary struct {
	Command string `json:"command"`
	TZ      string `json:"tz"` // the zone of the times shown
	*Report
	loc  *time.Location
	zone string
}

// Summary is r as bbox inspect reports it: times in loc, with zone (a
// ZoneNote) saying where that zone came from.
func (r *Report) Summary(loc *time.Location, zone string) InspectSummary {
	return InspectSummary{Command: "inspect", TZ: loc.String(), Report: r, loc: loc, zone: zone}
}

// WriteText writes the report's text in the summary's zone
// (Report.WriteText).
func (s InspectSummary) WriteText(w io.Writer) { s.Report.WriteText(w, s.loc, s.zone) }
