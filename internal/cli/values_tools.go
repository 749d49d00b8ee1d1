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

// Given reports whether flag name was set on fs's command line (or by
// Set), as opposed to holding its default.
func Given(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
