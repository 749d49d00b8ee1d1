package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// outDir is a bench run's output directory: it writes each file whole
// and keeps the list of what was written, in order, for the report and
// the summary. An outDir whose Dir is "" writes nothing (a run that keeps
// no files). It is not safe for concurrent use.
type outDir struct {
	Dir   string
	Names []string // the paths written so far
}

// Path is where name goes.
func (d *outDir) Path(name string) string { return filepath.Join(d.Dir, name) }

// Add lists a file written by someone else (a process's interval log).
func (d *outDir) Add(path string) { d.Names = append(d.Names, path) }

// Write creates name with what fill writes; errors name the file.
func (d *outDir) Write(name string, fill func(w io.Writer) error) error {
	if d.Dir == "" {
		return nil
	}
	p := d.Path(name)
	fh, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := fill(fh); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	d.Add(p)
	return nil
}

// hlogFile is an interval log being written during a run (OpenHlog).
type hlogFile struct {
	d    *outDir
	fh   *os.File
	log  *intervalLog
	err  error
	path string
}

// OpenHlog starts the interval log name, its header stamped with start
// and comment. In an outDir that writes nothing it is a no-op log.
func (d *outDir) OpenHlog(name, comment string, start time.Time) (*hlogFile, error) {
	if d.Dir == "" {
		return &hlogFile{}, nil
	}
	p := d.Path(name)
	fh, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	l, err := newIntervalLog(fh, start, comment)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return &hlogFile{d: d, fh: fh, log: l, path: p}, nil
}

// Add appends one interval's histogram under tag; the first write error
// is kept for Close.
func (h *hlogFile) Add(hist *hdrhistogram.Histogram, tag string) {
	if h.log == nil || h.err != nil {
		return
	}
	hist.SetTag(tag)
	if err := h.log.Write(hist); err != nil {
		h.err = fmt.Errorf("writing %s: %w", h.path, err)
	}
}

// Close closes the log and lists it in its outDir; it reports the first
// error of any write.
func (h *hlogFile) Close() error {
	if h.fh == nil {
		return nil
	}
	err := h.fh.Close()
	h.fh = nil
	if h.err != nil {
		return h.err
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", h.path, err)
	}
	h.d.Add(h.path)
	return nil
}

// WriteRunFiles writes a fixed-rate run's files: the report as table.txt,
// latency.hgrm for res and PATH.hgrm for each baseline, and the
// percentile and timeline plots (curves and notes label them).
func (d *outDir) WriteRunFiles(res *LoadResult, bases []*LoadResult, report []byte, curves []curve, notes []string) error {
	if err := d.Write("table.txt", func(w io.Writer) error { _, err := w.Write(report); return err }); err != nil {
		return err
	}
	if err := d.Write("latency.hgrm", func(w io.Writer) error { return writeHGRM(w, res.Hist) }); err != nil {
		return err
	}
	for _, b := range bases {
		if err := d.Write(string(b.Config.Path)+".hgrm", func(w io.Writer) error { return writeHGRM(w, b.Hist) }); err != nil {
			return err
		}
	}
	if err := d.Write("percentiles.svg", func(w io.Writer) error {
		return writePercentilePlot(w, "Latency by percentile", notes, curves, 0)
	}); err != nil {
		return err
	}
	return d.Write("timeline.svg", func(w io.Writer) error {
		return writeTimelinePlot(w, "Throughput over time (bbox)", notes, res.Intervals, res.Config.Rate)
	})
}
