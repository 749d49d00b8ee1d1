package exchange

import (
	"context"
	"errors"
)

// ErrFeedTime marks an error of InspectFiles or OpenPaced for a trading
// day or zone that FeedTime cannot read: the caller's setting is wrong,
// not the files. Match it with errors.Is.
var ErrFeedTime = errors.New("bad trading day or time zone")

// InspectFiles is Inspect of files (each as ParseInput reads it), with
// times shown in the zone tz ("" is DefaultTZ). ok is false, and nothing
// is read, when none of them is an exchange input (DetectInputs): they
// are the caller's to inspect as bbox captures.
func InspectFiles(ctx context.Context, files []string, tz string, top int) (rep *InspectReport, ok bool, err error) {
	ins, ok, err := DetectInputs(files)
	if !ok || err != nil {
		return nil, ok, err
	}
	_, loc, err := FeedTime("", tz)
	if err != nil {
		return nil, true, &markedError{err.Error(), ErrFeedTime}
	}
	rep, err = Inspect(ctx, Config{Inputs: ins, Loc: loc}, files, top)
	return rep, true, err
}
