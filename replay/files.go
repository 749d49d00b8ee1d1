package replay

// Files are capture files opened together, in the order given: a rotated
// set, or several days, replayed (SourceConfig.Files) or inspected
// (Inspect) as one.
type Files []*Reader

// OpenFiles opens the named capture files in order, for every command that
// reads a list of them. A damaged file is opened all the same: its
// Reader's Err and Problems say what is wrong, and the caller decides
// whether to play around the damage (Damaged). A file that cannot be
// opened at all (missing, not a capture, damaged header) is the error, and
// the files opened before it are closed.
func OpenFiles(names []string) (Files, error) {
	fs := make(Files, 0, len(names))
	for _, name := range names {
		r, err := Open(name)
		if err != nil {
			fs.Close()
			return nil, err
		}
		fs = append(fs, r)
	}
	return fs, nil
}

// Close closes every file and returns the first error.
func (fs Files) Close() error {
	var first error
	for _, r := range fs {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Damaged is the first file whose reading met damage that loses or
// repeats records (Reader.Err), nil when every file is whole.
func (fs Files) Damaged() *Reader {
	for _, r := range fs {
		if r.Err() != nil {
			return r
		}
	}
	return nil
}

// IndexNotes are the files whose index is damaged though their chunks,
// found by scanning, are whole: "FILE: detail", one per problem, for a
// warning (nothing is lost).
func (fs Files) IndexNotes() []string {
	var out []string
	for _, r := range fs {
		for _, p := range r.Problems() {
			if p.Kind == KindIndex {
				out = append(out, r.Name()+": "+p.Detail)
			}
		}
	}
	return out
}

// Meta is the first file's header metadata (its "tz", "source", ...): the
// set's, since a rotated set shares it.
func (fs Files) Meta() map[string]string {
	if len(fs) == 0 {
		return nil
	}
	return fs[0].Header().Meta
}
