package mail

import (
	"errors"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// Defaults of PRODUCT.md §5 for a zero field, from the same constants as the tokens'
// validity.
const (
	DefaultActivationDays  = int(tokens.ActivationValidity / (24 * time.Hour))
	DefaultRetentionMonths = 24
	DefaultLinkValidDays   = spaces.DefaultLinkLifetimeDays
	DefaultRecoveryMinutes = int(tokens.RecoveryValidity / time.Minute)
)

// Activation is the mail that opens a registered admin's account.
type Activation struct {
	Lang            Lang
	Brand           Brand
	Identifier      string
	CompanyName     string // optional
	SetPasswordURL  string
	PortalURL       string
	HelpURL         string
	Since           time.Time // the space's go-live date; zero leaves the date out
	ValidDays       int       // lifetime of the set-password link; 0 means 7
	RetentionMonths int       // 0 means 24
}

type activationView struct {
	page
	Identifier, CompanyName, SetPasswordURL, PortalURL, HelpURL string
	Since, ValidFor, Retention                                  string
}

// RenderActivation renders the activation mail. It returns an error wrapping ErrInvalid
// when a required field is missing or a URL is not absolute.
func RenderActivation(a Activation) (Content, error) {
	p, err := newPage(a.Lang, a.Brand)
	if err != nil {
		return Content{}, err
	}
	if err := errors.Join(required("identifier", a.Identifier), checkURL("set-password URL", a.SetPasswordURL),
		checkURL("portal URL", a.PortalURL), checkURL("help URL", a.HelpURL)); err != nil {
		return Content{}, err
	}
	v := activationView{
		page:           p,
		Identifier:     strings.TrimSpace(a.Identifier),
		CompanyName:    oneLine(a.CompanyName),
		SetPasswordURL: a.SetPasswordURL,
		PortalURL:      a.PortalURL,
		HelpURL:        a.HelpURL,
		ValidFor:       formatDays(p.Lang, orDefault(a.ValidDays, DefaultActivationDays)),
		Retention:      formatMonths(p.Lang, orDefault(a.RetentionMonths, DefaultRetentionMonths)),
	}
	if !a.Since.IsZero() {
		v.Since = formatDate(p.Lang, a.Since)
	}
	return render("activation", &v.page, &v)
}

// DocumentNotice tells the registered e-mail about one new document.
type DocumentNotice struct {
	Lang        Lang
	Brand       Brand
	CompanyName string // optional
	Number      string
	Type        string // invoice or credit_note
	IssueDate   string // YYYY-MM-DD
	Amount      string // decimal string; empty leaves the amount out
	Currency    string // ISO 4217
	PortalURL   string
	Attached    bool // the PDF travels with the mail; otherwise the mail links to the portal
	Duplicate   bool // a paper original is posted
	Copy        bool // the legal original travels through an approved e-invoicing platform
}

type noticeView struct {
	page
	CompanyName, Number, TypeLabel, IssueDate, Amount, PortalURL string
	Invoice, Attached, Duplicate, Copy                           bool
}

// RenderDocumentNotice renders the notification of one document, in attachment or link
// mode. It returns an error wrapping ErrInvalid for missing or malformed fields.
func RenderDocumentNotice(n DocumentNotice) (Content, error) {
	p, err := newPage(n.Lang, n.Brand)
	if err != nil {
		return Content{}, err
	}
	label, errType := typeLabel(p.Lang, n.Type)
	date, errDate := formatIssueDate(p.Lang, n.IssueDate)
	amount, errAmount := optionalAmount(p.Lang, n.Amount, n.Currency)
	if err := errors.Join(required("number", n.Number), checkURL("portal URL", n.PortalURL),
		errType, errDate, errAmount); err != nil {
		return Content{}, err
	}
	v := noticeView{
		page:        p,
		CompanyName: oneLine(n.CompanyName),
		Number:      oneLine(n.Number),
		TypeLabel:   label,
		IssueDate:   date,
		Amount:      amount,
		PortalURL:   n.PortalURL,
		Invoice:     n.Type == "invoice",
		Attached:    n.Attached,
		Duplicate:   n.Duplicate,
		Copy:        n.Copy,
	}
	return render("notice", &v.page, &v)
}

// Digest lists the documents ingested since the previous digest, each with its no-login
// link.
type Digest struct {
	Lang          Lang
	Brand         Brand
	CompanyName   string // optional
	PortalURL     string
	Items         []DigestItem
	LinkValidDays int // 0 means 14
}

// DigestItem is one document of a digest.
type DigestItem struct {
	Number, Type, IssueDate, Amount, Currency, LinkURL string
	Duplicate, Copy                                    bool
}

type digestItemView struct {
	Number, TypeLabel, IssueDate, Amount, LinkURL string
	Invoice, Duplicate, Copy                      bool
}

type digestView struct {
	page
	CompanyName, PortalURL, LinkValidFor string
	Items                                []digestItemView
	AnyDuplicate, AnyCopy                bool // explain the badges once, below the list
}

// RenderDigest renders the daily digest. It returns an error wrapping ErrInvalid when
// there is no item or an item is malformed.
func RenderDigest(d Digest) (Content, error) {
	p, err := newPage(d.Lang, d.Brand)
	if err != nil {
		return Content{}, err
	}
	errs := []error{checkURL("portal URL", d.PortalURL)}
	if len(d.Items) == 0 {
		errs = append(errs, invalid("a digest needs at least one document"))
	}
	v := digestView{
		page:         p,
		CompanyName:  oneLine(d.CompanyName),
		PortalURL:    d.PortalURL,
		LinkValidFor: formatDays(p.Lang, orDefault(d.LinkValidDays, DefaultLinkValidDays)),
	}
	for _, it := range d.Items {
		label, errType := typeLabel(p.Lang, it.Type)
		date, errDate := formatIssueDate(p.Lang, it.IssueDate)
		amount, errAmount := optionalAmount(p.Lang, it.Amount, it.Currency)
		errs = append(errs, required("item number", it.Number), checkURL("item link", it.LinkURL),
			errType, errDate, errAmount)
		v.Items = append(v.Items, digestItemView{
			Number:    oneLine(it.Number),
			TypeLabel: label,
			IssueDate: date,
			Amount:    amount,
			LinkURL:   it.LinkURL,
			Invoice:   it.Type == "invoice",
			Duplicate: it.Duplicate,
			Copy:      it.Copy,
		})
		v.AnyDuplicate = v.AnyDuplicate || it.Duplicate
		v.AnyCopy = v.AnyCopy || it.Copy
	}
	if err := errors.Join(errs...); err != nil {
		return Content{}, err
	}
	return render("digest", &v.page, &v)
}

// Recovery carries the link that lists an address's accounts in a space and lets the
// user set a new password.
type Recovery struct {
	Lang           Lang
	Brand          Brand
	Email          string
	SetPasswordURL string
	PortalURL      string
	ValidMinutes   int // 0 means 60
}

type recoveryView struct {
	page
	Email, SetPasswordURL, PortalURL, ValidFor string
}

// RenderRecovery renders the recovery mail. It returns an error wrapping ErrInvalid for
// missing fields.
func RenderRecovery(r Recovery) (Content, error) {
	p, err := newPage(r.Lang, r.Brand)
	if err != nil {
		return Content{}, err
	}
	if err := errors.Join(required("e-mail", r.Email), checkURL("set-password URL", r.SetPasswordURL),
		checkURL("portal URL", r.PortalURL)); err != nil {
		return Content{}, err
	}
	v := recoveryView{
		page:           p,
		Email:          strings.TrimSpace(r.Email),
		SetPasswordURL: r.SetPasswordURL,
		PortalURL:      r.PortalURL,
		ValidFor:       formatMinutes(p.Lang, orDefault(r.ValidMinutes, DefaultRecoveryMinutes)),
	}
	return render("recovery", &v.page, &v)
}

// PasswordChanged tells an account's own address that its password changed.
type PasswordChanged struct {
	Lang       Lang
	Brand      Brand
	Identifier string
	PortalURL  string
	At         time.Time
	Location   *time.Location // the space's time zone; nil means UTC
}

type passwordChangedView struct {
	page
	Identifier, PortalURL, At string
}

// RenderPasswordChanged renders the password-changed warning. It returns an error
// wrapping ErrInvalid for missing fields.
func RenderPasswordChanged(c PasswordChanged) (Content, error) {
	p, err := newPage(c.Lang, c.Brand)
	if err != nil {
		return Content{}, err
	}
	errs := []error{required("identifier", c.Identifier), checkURL("portal URL", c.PortalURL)}
	if c.At.IsZero() {
		errs = append(errs, invalid("the time of the change is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return Content{}, err
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	v := passwordChangedView{
		page:       p,
		Identifier: strings.TrimSpace(c.Identifier),
		PortalURL:  c.PortalURL,
		At:         formatDateTime(p.Lang, c.At, loc),
	}
	return render("password_changed", &v.page, &v)
}

func optionalAmount(l Lang, amount, currency string) (string, error) {
	if amount == "" {
		return "", nil
	}
	return formatAmount(l, amount, currency)
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}
