package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// table is the result as rows of cells: a header row, then one row per figure with a
// column per phase.
func (r *result) table() [][]string {
	head := []string{fmt.Sprintf("%d rows, %d documents", r.rows, r.documents)}
	for _, p := range r.phases {
		head = append(head, p.name)
	}
	rows := [][]string{head}
	add := func(label string, cell func(p *phase) string) {
		row := []string{label}
		for _, p := range r.phases {
			row = append(row, cell(p))
		}
		rows = append(rows, row)
	}
	add("units", func(p *phase) string { return fmt.Sprintf("%d %ss", p.units, p.unit) })
	add("done (applied, unchanged or filed)", func(p *phase) string {
		if p.incomplete != "" {
			return "incomplete: " + p.incomplete
		}
		return fmt.Sprintf("%d", p.done)
	})
	add("unchanged (skipped by hash)", func(p *phase) string { return fmt.Sprintf("%d", p.unchanged) })
	add("rejected", func(p *phase) string { return fmt.Sprintf("%d", p.rejected) })
	add("wall time", func(p *phase) string { return fmt.Sprintf("%.1f s", p.wall.Seconds()) })
	add("throughput", func(p *phase) string {
		if p.wall <= 0 || p.incomplete != "" {
			return "-"
		}
		return fmt.Sprintf("%.1f %ss/s", float64(p.done)/p.wall.Seconds(), p.unit)
	})
	add("peak memory (resident at start)", func(p *phase) string {
		if p.peak == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%d MiB (%d MiB)", p.peak>>20, p.base>>20)
	})
	add("mails sent (with attachment)", func(p *phase) string { return fmt.Sprintf("%d (%d)", p.mails, p.attached) })

	fns := map[string]bool{}
	for _, p := range r.phases {
		for id := range p.invoked {
			fns[id] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(fns)) {
		add(id+": invocations, busy", func(p *phase) string {
			v := p.invoked[id]
			if v.n == 0 {
				return "-"
			}
			return fmt.Sprintf("%d, %.1f s", v.n, v.busy.Seconds())
		})
		add(fmt.Sprintf("%s: longest (timeout %v)", id, r.timeouts[id]), func(p *phase) string {
			v := p.invoked[id]
			if v.n == 0 {
				return "-"
			}
			out := fmt.Sprintf("%.2f s", v.longest.Seconds())
			if v.timeouts > 0 {
				out += fmt.Sprintf(", %d timed out", v.timeouts)
			}
			return out
		})
	}

	add("AWS calls (per unit)", func(p *phase) string { return perUnit(p.sent, p) })
	ops := map[string]bool{}
	for _, p := range r.phases {
		for op := range p.calls {
			ops[op] = true
		}
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		add("  "+op, func(p *phase) string {
			if p.calls[op] == 0 {
				return "-"
			}
			return perUnit(p.calls[op], p)
		})
	}
	return rows
}

// perUnit is "n (n per unit)", per row or document done (dropped when none was done).
func perUnit(n int, p *phase) string {
	units := p.done
	if units == 0 {
		units = p.units
	}
	return fmt.Sprintf("%d (%s)", n, trim(float64(n)/float64(units)))
}

func trim(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" {
		return "0"
	}
	return s
}

// plain writes the table aligned in columns.
func (r *result) plain(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range r.table() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

// markdown writes the table as a Markdown table.
func (r *result) markdown(w io.Writer) {
	for i, row := range r.table() {
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = strings.ReplaceAll(strings.TrimSpace(c), "|", `\|`)
			if j == 0 && strings.HasPrefix(c, "  ") {
				cells[j] = "· " + cells[j]
			}
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
		if i == 0 {
			fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(row)))
		}
	}
}
