package cli

import (
	"flag"
	"fmt"
)

// Rates reads a ladder of rates (a List such as 100k,1M,max), each as
// Rate.Set takes it; the error quotes the first item it could not read.
func Rates(items []string) ([]float64, error) {
	var rates []float64
	for _, s := range items {
		var r Rate
		if err := r.Set(s); err != nil {
			return nil, fmt.Errorf("%q: %v", s, err)
		}
		rates = append(rates, float64(r))
	}
	return rates, nil
}

// Given is the first of names that fs's command line set (or Set did),
// as opposed to holding its default; "" if none was.
func Given(fs *flag.FlagSet, names ...string) string {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if set[n] {
			return n
		}
	}
	return ""
}
