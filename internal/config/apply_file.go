package config

import "flag"

// ApplyFile is Load and Apply for a command line's --config: with no path
// (no --config) it sets nothing; otherwise it loads path and applies its
// settings for side to fs through set. Errors name the file and line.
func ApplyFile(path string, fs *flag.FlagSet, side string, set func(name, value string) error) (notes []string, err error) {
	if path == "" {
		return nil, nil
	}
	top, err := Load(path)
	if err != nil {
		return nil, err
	}
	return top.Apply(fs, side, set)
}
