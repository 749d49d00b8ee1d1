package bench

import "github.com/HdrHistogram/hdrhistogram-go"

// Visit calls f with a histogram of every value recorded so far, without
// copying it (Merged allocates a new ~250 KB histogram each call): for
// readers that come often, such as a metrics scrape. f runs under the
// readers' lock and must neither keep h nor change it.
func (r *Recorder) Visit(f func(h *hdrhistogram.Histogram)) {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.swap()
	f(r.total)
}
