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

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"1048576": 1 << 20, "64KiB": 64 << 10, "1MiB": 1 << 20, "1.5MiB": 3 << 19, "2GiB": 2 << 30,
		"1TiB": 1 << 40, "64KB": 64000, "1MB": 1e6, "1GB": 1e9, "1TB": 1e12, "4K": 4096, "8M": 8 << 20, "1G": 1 << 30, "512B": 512, " 3 B": 3} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1KiB", "KiB", "1 fortnight", "1e30", "off", "NaN", "NaNKiB", "+Inf", ".1", "0.5B"} {
		if got, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", s, got)
		} else if err.Error() != `"`+s+`" is not a size (1048576, 64KiB, 1MiB, 1GB)` {
			t.Errorf("ParseSize(%q): error %q", s, err)
		}
	}
}

// FuzzParseSize: any input either fails or gives a positive size below
// 2^62, never panics.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1MiB", "64KB", "1.5G", "0", "-1", "1e400B", "NaN", "Inf", " 7 B", ".1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && (n <= 0 || n > 1<<62) {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}
