// Package words spells numbers for people: counts with their noun ("1
// shard", "2 shards", "12,000 records"), thousands separators, and rates
// in k and M; and it reads the sizes people write (64KiB, 1GB). Every
// package that prints a number for a person uses it, so none reads "1
// shard(s)" or "1 workers" and a rate reads the same everywhere. Its
// functions are pure and safe for concurrent use.
package words

import (
	"fmt"
	"strconv"
	"strings"
)

// Integer is any integer type a count comes in.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Count is n with thousands separators and the noun in the right number:
// one for exactly 1, many otherwise (0 shards, 2 shards).
func Count[N Integer](n N, one, many string) string {
	noun := many
	if n == 1 {
		noun = one
	}
	return Group(int64(n)) + " " + noun
}

// Group writes n with a comma every three digits (1,234,567).
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	start := 0
	if n < 0 {
		start = 1
	}
	digits := len(s) - start
	if digits <= 3 {
		return s
	}
	b := make([]byte, 0, len(s)+digits/3)
	b = append(b, s[:start]...)
	for i := start; i < len(s); i++ {
		if i > start && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Rate prints a rate (per second) compactly, trailing zeros dropped: 950,
// 100k, 2.5M. For tables, plots and summaries.
func Rate(v float64) string {
	switch {
	case v >= 1e6:
		return TrimZero(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case v >= 1e3:
		return TrimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	}
	return fmt.Sprintf("%.0f", v)
}

// RateFixed prints a rate with fixed decimals (950, 100.0k, 2.50M), so a
// status line that rewrites itself does not change width as digits come
// and go.
func RateFixed(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// TrimZero drops a decimal fraction's trailing zeros (and a bare point):
// "2.50" is "2.5", "4.00" is "4".
func TrimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// sizeUnits are the suffixes ParseSize takes, each before any suffix it
// ends with (KiB before B).
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}

// ParseSize reads a positive size as people write one for a buffer or a
// chunk: 1048576, 64KiB, 1MiB, 1GiB, 1.5MiB (powers of 1024; K, M, G
// too) or 64KB, 1MB, 1GB, 1TB (powers of 1000). It has no "off" and no
// default (tuning.ParseBytes, for GOMEMLIMIT, does): every size it
// returns is above zero and below 2^62.
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
	// Written so NaN fails too (every comparison with it is false); a
	// size under one byte (".1", "0.5B") would truncate to 0.
	if err != nil || !(v*float64(mult) >= 1) || !(v*float64(mult) <= 1<<62) {
		return 0, fmt.Errorf("%q is not a size (1048576, 64KiB, 1MiB, 1GB)", s)
	}
	return int64(v * float64(mult)), nil
}
