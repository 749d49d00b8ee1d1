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
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
