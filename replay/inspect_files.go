package replay

// ZoneError is InspectFiles' error for a zone it cannot load: the
// caller's setting is wrong, not the files.
type ZoneError struct{ Err error }

func (e *ZoneError) Error() string { return e.Err.Error() }
func (e *ZoneError) Unwrap() error { return e.Err }

// InspectFiles opens the named captures (OpenFiles), inspects them
// (Inspect; top: how many of the busiest symbols to list) and closes
// them. Its summary shows times in the zone tz ("": the files' own, else
// UTC; Zone); damage is what Report.Damage names, by file and offset,
// which the call survives. A zone that cannot be loaded is a *ZoneError.
func InspectFiles(names []string, tz string, top int) (sum InspectSummary, damage []*Error, err error) {
	fs, err := OpenFiles(names)
	if err != nil {
		return InspectSummary{}, nil, err
	}
	defer fs.Close()
	loc, err := Zone(tz, fs.Meta())
	if err != nil {
		return InspectSummary{}, nil, &ZoneError{err}
	}
	rep, err := Inspect(fs, top)
	if err != nil {
		return InspectSummary{}, nil, err
	}
	return rep.Summary(loc, ZoneNote(tz, fs.Meta())), rep.Damage(), nil
}
