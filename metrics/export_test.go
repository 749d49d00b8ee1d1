package metrics

import "github.com/HdrHistogram/hdrhistogram-go"

type hdrhistogramH = hdrhistogram.Histogram
