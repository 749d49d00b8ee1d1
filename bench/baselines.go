package bench

import "slices"

// Baselines picks the baseline paths a run compares bbox with from names
// (--baseline): tcp and zmq4 in-process; tcp, libzmq and libzmq64 in
// process mode, where no names means those three. "none" and repeats add
// nothing; bad is the first name that does not apply to the mode ("" if
// all do).
func Baselines(names []string, process bool) (paths []Path, bad string) {
	if process && len(names) == 0 {
		names = []string{"tcp", "libzmq", "libzmq64"}
	}
	for _, b := range names {
		switch p := Path(b); {
		case b == "none" || slices.Contains(paths, p):
		case p == PathTCP || p == PathZMQ4 && !process || (p == PathLibZMQ || p == PathLibZMQ64) && process:
			paths = append(paths, p)
		case bad == "":
			bad = b
		}
	}
	return paths, bad
}
