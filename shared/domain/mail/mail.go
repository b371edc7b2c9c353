// Package mail composes the portal's mails (PRODUCT.md §5): a subject, a plain-text body and an
// HTML body in the customer's language, branded per space, then the raw MIME message the
// mailer hands to SES. It sends nothing itself.
//
// The wording lives in templates/{fr,en}/*.txt and *.html; templates/layout.html is the
// HTML frame. The HTML has inline styles only, no images and no remote resources, so
// nothing in a mail reports back when it is opened.
package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
)

// Lang is a mail language.
type Lang string

// The languages of the portal; French is the default.
const (
	French  Lang = "fr"
	English Lang = "en"
)

// ParseLang maps a stored language to a Lang: "en" in any case, with or without a region,
// is English; anything else is French.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") {
		return English
	}
	return French
}

// Brand is what a mail shows of the supplier's space.
type Brand struct {
	SpaceName  string // "Acme Finance / Acme Location"
	Color      string // #rrggbb; empty or invalid means DefaultColor
	SenderName string // signs the mail ("L'équipe …"); empty means SpaceName
	ReplyTo    string // shown in the footer when set
}

// DefaultColor is the brand colour of a space that sets none (as in package spaces).
const DefaultColor = "#1f4e79"

// Content is a rendered mail.
type Content struct {
	Subject, Text, HTML string
}

// ErrInvalid is wrapped by every Render error about the data given.
var ErrInvalid = errors.New("mail: invalid data")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

//go:embed templates
var templateFS embed.FS

// templateSet is one mail in one language.
type templateSet struct {
	text *texttemplate.Template // defines "subject" and "text"
	html *htmltemplate.Template // defines "layout", which calls "body"
}

// sets are parsed at first use, not at init: most functions never send mail.
var sets = sync.OnceValue(loadTemplates)

// mailNames lists the templates of each language directory.
var mailNames = []string{"activation", "notice", "digest", "recovery", "password_changed"}

func loadTemplates() map[string]templateSet {
	out := map[string]templateSet{}
	for _, l := range []Lang{French, English} {
		for _, name := range mailNames {
			dir := "templates/" + string(l) + "/"
			text := texttemplate.Must(texttemplate.New(name).ParseFS(templateFS, dir+"common.txt", dir+name+".txt"))
			html := htmltemplate.Must(htmltemplate.New(name).ParseFS(templateFS, "templates/layout.html", dir+"common.html", dir+name+".html"))
			out[string(l)+"/"+name] = templateSet{text: text, html: html}
		}
	}
	return out
}

// page is what every template sees besides its mail's own fields.
type page struct {
	Lang        Lang
	Subject     string
	Space       string
	Sender      string
	ReplyTo     string
	Color       string
	ButtonStyle htmltemplate.CSS
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func newPage(l Lang, b Brand) (page, error) {
	p := page{
		Lang:    ParseLang(string(l)),
		Space:   oneLine(b.SpaceName),
		Sender:  oneLine(b.SenderName),
		ReplyTo: strings.TrimSpace(b.ReplyTo),
		Color:   strings.ToLower(b.Color),
	}
	if p.Space == "" {
		return page{}, invalid("brand space name is required")
	}
	if p.Sender == "" {
		p.Sender = p.Space
	}
	if !colorPattern.MatchString(p.Color) {
		p.Color = DefaultColor
	}
	// The colour is checked above, so the style is safe to mark as trusted CSS.
	p.ButtonStyle = htmltemplate.CSS("display:inline-block;padding:12px 24px;border-radius:4px;" +
		"background-color:" + p.Color + ";color:" + textOn(p.Color) + ";font-weight:bold;text-decoration:none;")
	return p, nil
}

// render runs the mail's templates on data, whose page is p.
func render(name string, p *page, data any) (Content, error) {
	set, ok := sets()[string(p.Lang)+"/"+name]
	if !ok {
		return Content{}, fmt.Errorf("mail: no template %s for %q", name, p.Lang)
	}
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return Content{}, fmt.Errorf("mail: %s subject: %w", name, err)
	}
	p.Subject = oneLine(subject.String())
	if err := set.text.ExecuteTemplate(&text, "text", data); err != nil {
		return Content{}, fmt.Errorf("mail: %s text: %w", name, err)
	}
	if err := set.html.ExecuteTemplate(&html, "layout", data); err != nil {
		return Content{}, fmt.Errorf("mail: %s html: %w", name, err)
	}
	return Content{Subject: p.Subject, Text: tidyText(text.String()), HTML: html.String()}, nil
}

// oneLine folds every run of white space, line breaks included, into one space: user
// data must not break a subject line or a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// tidyText trims trailing spaces and keeps at most one blank line between paragraphs, so
// the text templates can use plain conditionals without minding the white space.
func tidyText(s string) string {
	var out []string
	blank := true // drops leading blank lines
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, line)
		blank = false
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// checkURL requires an absolute http or https URL: a link in a mail must open the portal.
func checkURL(field, s string) error {
	if s == "" {
		return invalid("%s is required", field)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalid("%s %q: want an absolute http(s) URL", field, s)
	}
	return nil
}

func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalid("%s is required", field)
	}
	return nil
}
