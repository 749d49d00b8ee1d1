package bench

import "github.com/HdrHistogram/hdrhistogram-go"

// IntervalFunc is what LoadConfig.OnInterval and the functions of
// Options.Observe are: called once per interval with its figures and its
// histogram, valid only during the call. An alias, so a plain func literal
// of that shape is one.
type IntervalFunc = func(IntervalStat, *hdrhistogram.Histogram)
