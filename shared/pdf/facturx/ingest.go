package facturx

import (
	"errors"

	"github.com/efacture/efacture/shared/service/ingest"
)

// ReadForIngest is the ingest service's XML reader: a PDF without XML, or one pdfcpu
// cannot parse, is filed on its metadata alone (PRODUCT.md §3 only asks for the %PDF- header);
// unreadable XML inside a readable PDF is an error the service turns into a rejection.
func ReadForIngest(pdf []byte) (*ingest.XMLInvoice, error) {
	inv, err := Extract(pdf)
	if errors.Is(err, ErrNoXML) || errors.Is(err, ErrBadPDF) {
		return nil, ingest.ErrNoXML
	}
	if err != nil {
		return nil, err
	}
	return &ingest.XMLInvoice{
		Number: inv.Number, TypeCode: inv.TypeCode, IssueDate: inv.IssueDate, DueDate: inv.DueDate,
		BuyerName: inv.BuyerName, BuyerSIREN: inv.BuyerSIREN, GrandTotal: inv.GrandTotal,
		Currency: inv.Currency, Profile: inv.Profile, Flagged: inv.Flagged(),
	}, nil
}
