package words

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Count(0, "shard", "shards"), "0 shards"},
		{Count(1, "shard", "shards"), "1 shard"},
		{Count(2, "shard", "shards"), "2 shards"},
		{Count(int64(1234567), "record", "records"), "1,234,567 records"},
		{Count(uint64(1), "batch", "batches"), "1 batch"},
		{Count(-1, "gap", "gaps"), "-1 gaps"},
		{Group(-1234), "-1,234"},
		{Group(999), "999"},
		{Group(1000), "1,000"},
		{Group(-100), "-100"},
		{Rate(950), "950"},
		{Rate(100000), "100k"},
		{Rate(28300), "28.3k"},
		{Rate(2.5e6), "2.5M"},
		{Rate(4e6), "4M"},
		{RateFixed(950), "950"},
		{RateFixed(100000), "100.0k"},
		{RateFixed(2.5e6), "2.50M"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
