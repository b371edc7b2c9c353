package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/localaws"
)

// ErrNoSchedule is returned by FireSchedules when the template has no
// enabled Schedule or ScheduleV2 event.
var ErrNoSchedule = errors.New("template.yaml has no enabled schedule")

// asyncRetryDelays are Lambda's waits before retrying a failed
// asynchronous invocation, such as a scheduled one.
var asyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// timetable tells when a schedule fires next.
type timetable interface {
	// next returns the first firing time strictly after t.
	next(t time.Time) time.Time
}

var ratePattern = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// parseSchedule reads an EventBridge rate(...) or cron(...) expression.
// Rates fire on the boundaries of their period counted from the Unix epoch
// in the time zone (every full hour for rate(1 hour)), which AWS does not
// promise but which makes an hourly job run at a predictable minute.
func parseSchedule(expr, tz string) (timetable, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("schedule time zone %q: %w", tz, err)
		}
		loc = l
	}
	if m := ratePattern.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: the value must be a positive whole number", expr)
		}
		if singular := !strings.HasSuffix(m[2], "s"); singular != (n == 1) {
			return nil, fmt.Errorf("%s: AWS wants %q for 1 and the plural otherwise", expr, strings.TrimSuffix(m[2], "s"))
		}
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
		return rate{every: time.Duration(n) * unit, loc: loc}, nil
	}
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") {
		return parseCron(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"), loc)
	}
	return nil, fmt.Errorf("schedule %q: want rate(...) or cron(...)", expr)
}

type rate struct {
	every time.Duration
	loc   *time.Location
}

func (r rate) next(t time.Time) time.Time {
	_, offset := t.In(r.loc).Zone()
	local := t.Add(time.Duration(offset) * time.Second)
	n := local.Truncate(r.every).Add(r.every)
	return n.Add(-time.Duration(offset) * time.Second)
}

// cron is an EventBridge cron expression: minutes hours day-of-month month
// day-of-week year, each field a set of allowed values.
type cron struct {
	minute, hour, dom, month, dow, year map[int]bool
	anyDOM, anyDOW                      bool
	loc                                 *time.Location
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(spec string, loc *time.Location) (timetable, error) {
	f := strings.Fields(spec)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want 6 fields (minutes hours day-of-month month day-of-week year)", spec)
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", spec)
	}
	c := cron{loc: loc, anyDOM: f[2] == "?" || f[2] == "*", anyDOW: f[4] == "?" || f[4] == "*"}
	var err error
	fields := []struct {
		text     string
		dst      *map[int]bool
		lo, hi   int
		names    map[string]int
		question bool
	}{
		{f[0], &c.minute, 0, 59, nil, false},
		{f[1], &c.hour, 0, 23, nil, false},
		{f[2], &c.dom, 1, 31, nil, true},
		{f[3], &c.month, 1, 12, monthNames, false},
		{f[4], &c.dow, 1, 7, dayNames, true},
		{f[5], &c.year, 1970, 2199, nil, false},
	}
	for _, fl := range fields {
		if *fl.dst, err = cronField(fl.text, fl.lo, fl.hi, fl.names, fl.question); err != nil {
			return nil, fmt.Errorf("cron(%s): %w", spec, err)
		}
	}
	return c, nil
}

// cronField expands one field: *, ?, values, names, ranges a-b, steps /n
// and lists. L, W and # are refused.
func cronField(text string, lo, hi int, names map[string]int, question bool) (map[int]bool, error) {
	set := map[int]bool{}
	if text == "?" {
		if !question {
			return nil, fmt.Errorf("? is only for day-of-month or day-of-week")
		}
		for v := lo; v <= hi; v++ {
			set[v] = true
		}
		return set, nil
	}
	value := func(s string) (int, error) {
		up := strings.ToUpper(s)
		if n, ok := names[up]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil && (strings.Contains(up, "#") || strings.HasSuffix(up, "L") || strings.HasSuffix(up, "W")) {
			return 0, fmt.Errorf("%q: L, W and # are not supported by the local runner", s)
		}
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q: want %d-%d", s, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(text, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: bad step", part)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(a); err != nil {
				return nil, err
			}
			if to, err = value(b); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("%q: range runs backwards", part)
			}
		default:
			v, err := value(rng)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

func (c cron) dayMatches(t time.Time) bool {
	// Go's Sunday is 0, EventBridge's is 1.
	dow := c.dow[int(t.Weekday())+1]
	dom := c.dom[t.Day()]
	switch {
	case c.anyDOM:
		return dow
	case c.anyDOW:
		return dom
	}
	return dom && dow
}

func (c cron) next(after time.Time) time.Time {
	t := after.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case !c.year[t.Year()]:
			t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, c.loc)
		case !c.month[int(t.Month())]:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, c.loc)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, c.loc)
		case !c.hour[t.Hour()]:
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, c.loc)
		case !c.minute[t.Minute()]:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// scheduled is one enabled schedule of one function.
type scheduled struct {
	fn    *function
	event localaws.Schedule
	when  timetable
}

// schedulePayload is what the function receives: the template's Input, or
// the event EventBridge sends for a scheduled rule (also used for
// ScheduleV2 without Input, where Scheduler's own default notification is
// not documented).
func (r *Runner) schedulePayload(s scheduled, at time.Time) ([]byte, error) {
	if s.event.Input != "" {
		if !json.Valid([]byte(s.event.Input)) {
			return nil, fmt.Errorf("%s %s: Input is not JSON", s.fn.id, s.event.Event)
		}
		return []byte(s.event.Input), nil
	}
	st := r.AWS.Stack
	name := st.Prefix + "-" + s.fn.id + s.event.Event
	ev := events.EventBridgeEvent{
		Version: "0", ID: requestID(), DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: st.AccountID, Time: at.UTC().Truncate(time.Second), Region: st.Region,
		Resources: []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", st.Region, st.AccountID, name)},
		Detail:    json.RawMessage("{}"),
	}
	if s.event.Type == "ScheduleV2" {
		ev.Source = "aws.scheduler"
		ev.Resources = []string{fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", st.Region, st.AccountID, name)}
	}
	return json.Marshal(ev)
}

// FireSchedules invokes every function that has an enabled schedule now,
// synchronously, and returns "FunctionId/EventName" of each. It returns
// ErrNoSchedule when there is none.
func (r *Runner) FireSchedules(ctx context.Context) ([]string, error) {
	if len(r.schedules) == 0 {
		return nil, ErrNoSchedule
	}
	var fired []string
	var errs []error
	for _, s := range r.schedules {
		payload, err := r.schedulePayload(s, r.opts.Now())
		if err == nil {
			_, err = r.invokeAlone(ctx, s.fn, payload)
		}
		name := s.fn.id + "/" + s.event.Event
		r.logInvoke(s.fn.id, "schedule "+s.event.Event+" (fired by hand)", 1, failedIf(err), err)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		fired = append(fired, name)
	}
	return fired, errors.Join(errs...)
}

// runSchedule fires s at each of its times, asynchronously as EventBridge
// invokes Lambda: a failed invocation is retried twice.
func (r *Runner) runSchedule(ctx context.Context, s scheduled) {
	for {
		at := s.when.next(time.Now())
		if at.IsZero() {
			return
		}
		sleep(ctx, time.Until(at))
		if ctx.Err() != nil {
			return
		}
		payload, err := r.schedulePayload(s, at)
		if err != nil {
			r.logInvoke(s.fn.id, "schedule "+s.event.Event, 1, 1, err)
			continue
		}
		for attempt := 0; ; attempt++ {
			_, err := r.invokeAlone(context.WithoutCancel(ctx), s.fn, payload)
			r.logInvoke(s.fn.id, "schedule "+s.event.Event, 1, failedIf(err), err)
			if err == nil || attempt == len(asyncRetryDelays) {
				break
			}
			sleep(ctx, asyncRetryDelays[attempt])
			if ctx.Err() != nil {
				return
			}
		}
	}
}

func failedIf(err error) int {
	if err != nil {
		return 1
	}
	return 0
}
