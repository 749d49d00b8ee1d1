package tuning

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize takes, each before any suffix it
// ends with (KiB before B).
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}

// ParseSize reads a positive size as people write one for a buffer or a
// chunk: 1048576, 64KiB, 1MiB, 1GiB, 1.5MiB (powers of 1024; K, M, G
// too) or 64KB, 1MB, 1GB, 1TB (powers of 1000). Unlike ParseBytes it has
// no "off" and no default: every size it returns is above zero and below
// 2^62.
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	num := s
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			mult, num = u.mult, strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	// Written so NaN fails too (every comparison with it is false).
	if err != nil || !(v > 0) || !(v*float64(mult) <= 1<<62) {
		return 0, fmt.Errorf("%q is not a size (1048576, 64KiB, 1MiB, 1GB)", s)
	}
	return int64(v * float64(mult)), nil
}
