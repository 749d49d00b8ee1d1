package feed

import (
	"context"
	"errors"
	"io"
)

// Each calls fn for every record src yields, in order, until src ends
// (io.EOF: Each returns nil), fails or ctx ends (Each returns Next's
// error), or fn returns an error (Each returns it at once). The records
// of the batch that came with Next's error are handed to fn first. The
// Record and its bytes are valid only during the call, as a Batch's are.
func Each(ctx context.Context, src Source, fn func(*Record) error) error {
	var b Batch
	for {
		b.Reset()
		err := src.Next(ctx, &b)
		for i := range b.Recs {
			if ferr := fn(&b.Recs[i]); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
