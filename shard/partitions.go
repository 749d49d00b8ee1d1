package shard

import (
	"fmt"
	"strconv"
)

// ParsePartitions parses partition numbers (a subscriber's partition
// filter, SubConfig.Partitions).
func ParsePartitions(list []string) ([]uint32, error) {
	var out []uint32
	for _, p := range list {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a partition number", p)
		}
		out = append(out, uint32(v))
	}
	return out, nil
}
