// Package customers holds the supplier's customer companies and the referential billing
// drops to create and update them.
package customers

import (
	"strings"
	"time"
)

// Notification modes (PRODUCT.md §5).
const (
	NotifyNone       = "none"
	NotifyAttachment = "attachment"
	NotifyLink       = "link"
	NotifyDigest     = "digest"
)

// Delivery modes: paper customers get duplicates in the portal.
const (
	DeliveryElectronic = "electronic"
	DeliveryPaper      = "paper"
)

// Customer is a customer company in a space.
type Customer struct {
	Space        string
	Number       string
	CompanyName  string
	SIREN        string
	Email        string // registered admin e-mail, "" when none
	Notification string
	Delivery     string
	Language     string
	// MailStatus is what SES last reported against MailStatusEmail, the address a
	// bounce or complaint came from, at MailStatusAt; "" when nothing is reported.
	MailStatus      string
	MailStatusAt    time.Time
	MailStatusEmail string
	AdminEmail      string // the e-mail whose registered-admin account exists
	AdminID         string // that account's identifier
	UpdatedAt       time.Time
}

// MailHeld reports whether notification mail (per document and digest) to the registered
// e-mail stops: SES reported a permanent bounce or a complaint for that very address, and
// neither a later delivery nor a staff member has cleared it (PRODUCT.md §5). Mails a
// person asks for (activation, recovery) are not held. A status recorded without its
// address is taken to be the registered one's.
func (c Customer) MailHeld() bool {
	return c.Email != "" && c.MailStatus != "" && (c.MailStatusEmail == "" || strings.EqualFold(c.MailStatusEmail, c.Email))
}

// ActivationDue reports whether the next document must create a registered-admin account
// for the registered e-mail (PRODUCT.md §3 step 5): never at registration, always at a document.
func (c Customer) ActivationDue() bool {
	return c.Email != "" && !strings.EqualFold(c.Email, c.AdminEmail)
}
