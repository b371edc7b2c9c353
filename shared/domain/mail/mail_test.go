package mail

import (
	"errors"
	"html"
	"strings"
	"testing"
	"time"
)

var brand = Brand{
	SpaceName:  "Acme Finance / Acme Location",
	Color:      "#1f4e79",
	SenderName: "Acme Finance",
	ReplyTo:    "support@acme.example",
}

const (
	portalURL = "https://portal.example/acme/"
	setURL    = "https://portal.example/acme/password#token=Zm9vYmFy"
	helpURL   = "https://portal.example/acme/help"
)

func activation(l Lang) Activation {
	return Activation{
		Lang: l, Brand: brand, Identifier: "pierre.durand_1", CompanyName: "Durand & Fils",
		SetPasswordURL: setURL, PortalURL: portalURL, HelpURL: helpURL,
		Since: time.Date(2022, 12, 2, 0, 0, 0, 0, time.UTC), ValidDays: 7, RetentionMonths: 24,
	}
}

func notice(l Lang) DocumentNotice {
	return DocumentNotice{
		Lang: l, Brand: brand, CompanyName: "Durand & Fils", Number: "F-2024-0042", Type: "invoice",
		IssueDate: "2024-03-05", Amount: "1234.56", Currency: "EUR", PortalURL: portalURL, Attached: true,
	}
}

func digest(l Lang) Digest {
	return Digest{
		Lang: l, Brand: brand, CompanyName: "Durand & Fils", PortalURL: portalURL, LinkValidDays: 14,
		Items: []DigestItem{
			{Number: "F-2024-0042", Type: "invoice", IssueDate: "2024-03-05", Amount: "1234.56", Currency: "EUR",
				LinkURL: "https://portal.example/api/links/aaa?x=1&y=2"},
			{Number: "AV-7", Type: "credit_note", IssueDate: "2024-03-06", Amount: "-99.9", Currency: "CHF",
				LinkURL: "https://portal.example/api/links/bbb"},
		},
	}
}

func recovery(l Lang) Recovery {
	return Recovery{Lang: l, Brand: brand, Email: "pierre@durand.example", SetPasswordURL: setURL, PortalURL: portalURL, ValidMinutes: 60}
}

func passwordChanged(l Lang) PasswordChanged {
	return PasswordChanged{
		Lang: l, Brand: brand, Identifier: "pierre.durand_1", PortalURL: portalURL,
		At: time.Date(2022, 12, 8, 14, 14, 0, 0, time.UTC), Location: time.FixedZone("CET", 3600),
	}
}

// renderers renders each mail in a language and lists what its text and HTML must show.
var renderers = []struct {
	name   string
	render func(Lang) (Content, error)
	want   map[Lang][]string
}{
	{
		name:   "activation",
		render: func(l Lang) (Content, error) { return RenderActivation(activation(l)) },
		want: map[Lang][]string{
			French:  {"pierre.durand_1", "Durand & Fils", setURL, portalURL, helpURL, "02/12/2022", "7 jours", "24 mois", "Acme Finance", "support@acme.example", "Ajout d'un utilisateur", "Administration", "conseiller clientèle", "Mot de passe ou identifiant oublié", "pas le bon destinataire"},
			English: {"pierre.durand_1", "Durand & Fils", setURL, portalURL, helpURL, "2 December 2022", "7 days", "24 months", "Acme Finance", "support@acme.example", "Add a user", "Administration", "customer advisor", "Forgot your password or identifier?", "not the intended recipient"},
		},
	},
	{
		name:   "document notice",
		render: func(l Lang) (Content, error) { return RenderDocumentNotice(notice(l)) },
		want: map[Lang][]string{
			French:  {"F-2024-0042", "facture", "05/03/2024", "1\u202f234,56\u00a0€", "Durand & Fils", portalURL, "joint à ce message"},
			English: {"F-2024-0042", "invoice", "5 March 2024", "€1,234.56", "Durand & Fils", portalURL, "attached to this message"},
		},
	},
	{
		name:   "digest",
		render: func(l Lang) (Content, error) { return RenderDigest(digest(l)) },
		want: map[Lang][]string{
			French:  {"F-2024-0042", "AV-7", "Facture", "Avoir", "05/03/2024", "06/03/2024", "1\u202f234,56\u00a0€", "-99,90\u00a0CHF", "https://portal.example/api/links/aaa?x=1&y=2", "https://portal.example/api/links/bbb", "14 jours", "Durand & Fils", portalURL},
			English: {"F-2024-0042", "AV-7", "Invoice", "Credit note", "5 March 2024", "6 March 2024", "€1,234.56", "-CHF\u00a099.90", "https://portal.example/api/links/aaa?x=1&y=2", "https://portal.example/api/links/bbb", "14 days", "Durand & Fils", portalURL},
		},
	},
	{
		name:   "recovery",
		render: func(l Lang) (Content, error) { return RenderRecovery(recovery(l)) },
		want: map[Lang][]string{
			French:  {"pierre@durand.example", setURL, portalURL, "1 heure", "Mot de passe ou identifiant oublié"},
			English: {"pierre@durand.example", setURL, portalURL, "1 hour", "Forgot your password or identifier?"},
		},
	},
	{
		name:   "password changed",
		render: func(l Lang) (Content, error) { return RenderPasswordChanged(passwordChanged(l)) },
		want: map[Lang][]string{
			French:  {"pierre.durand_1", portalURL, "08/12/2022 à 15:14 (CET)", "conseiller clientèle"},
			English: {"pierre.durand_1", portalURL, "8 December 2022 at 15:14 (CET)", "customer advisor"},
		},
	},
}

func TestRenderShowsEveryField(t *testing.T) {
	for _, r := range renderers {
		for _, l := range []Lang{French, English} {
			t.Run(r.name+"/"+string(l), func(t *testing.T) {
				c, err := r.render(l)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if !strings.HasSuffix(c.Subject, " — "+brand.SpaceName) || strings.ContainsAny(c.Subject, "\r\n") {
					t.Errorf("got subject %q, want one line ending with the space name", c.Subject)
				}
				for _, w := range r.want[l] {
					if !strings.Contains(c.Text, w) {
						t.Errorf("text lacks %q", w)
					}
					// Escaping itself is checked by TestUserDataIsEscaped.
					if !strings.Contains(html.UnescapeString(c.HTML), w) {
						t.Errorf("HTML lacks %q", w)
					}
				}
				if want := `<html lang="` + string(l) + `">`; !strings.Contains(c.HTML, want) {
					t.Errorf("HTML lacks %s", want)
				}
				if !strings.Contains(c.HTML, "<title>"+html.EscapeString(c.Subject)+"</title>") {
					t.Errorf("HTML title is not the subject %q", c.Subject)
				}
				// No images, no remote resources, no template escaping failure.
				for _, bad := range []string{"<img", "src=", "url(", "<link", "<script", "ZgotmplZ", "{{", "<no value>"} {
					if strings.Contains(c.HTML, bad) || strings.Contains(c.Text, bad) {
						t.Errorf("mail contains %q", bad)
					}
				}
				if strings.Contains(c.Text, "\n\n\n") || !strings.HasSuffix(c.Text, "\n") || strings.HasPrefix(c.Text, "\n") {
					t.Errorf("text is not tidy: %q", c.Text)
				}
			})
		}
	}
}

func TestActivationFrenchWording(t *testing.T) {
	c, err := RenderActivation(activation("fr"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Activation de votre accès au portail E-Facture — Acme Finance / Acme Location"; c.Subject != want {
		t.Errorf("got subject %q, want %q", c.Subject, want)
	}
	for _, want := range []string{
		"Cher(e) client(e),\n",
		"Votre identifiant de connexion est :\n\n    pierre.durand_1\n",
		"choisissez votre mot de passe en suivant ce lien, valable 7 jours :\n\n" + setURL + "\n",
		"Passé ce délai, cliquez sur le lien « Mot de passe ou identifiant oublié »",
		"connectez-vous au portail :\n" + portalURL + "\n",
		"vos factures et avoirs émis depuis le 02/12/2022 par Acme Finance",
		"accessibles à tout moment pendant 24 mois après leur date d'émission.",
		"grâce à la fonction « Ajout d'un utilisateur » du menu « Administration ».",
		"Contactez votre conseiller clientèle pour qu'il enregistre votre préférence de notification.",
		"Foire aux questions, votre réponse s'y trouve peut-être :\n" + helpURL + "\n",
		"Nous vous remercions pour votre confiance.\nL'équipe Acme Finance\n",
		"Note : si vous n'êtes pas le bon destinataire de ce message, merci de contacter votre conseiller clientèle habituel.",
	} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, want := range []string{
		`>pierre.durand_1</p>`,
		`<a href="` + setURL + `" style="`,
		`>Choisir mon mot de passe</a>`,
		`Ce lien est valable 7 jours.`,
		`depuis le <strong>02/12/2022</strong>`,
		`pendant <strong>24 mois</strong>`,
		`<a href="` + helpURL + `" style="color:#1d4ed8;">Foire aux questions</a>`,
	} {
		if !strings.Contains(c.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestActivationDefaultsAndOptionalFields(t *testing.T) {
	a := activation("fr")
	a.ValidDays, a.RetentionMonths, a.Since, a.CompanyName = 0, 0, time.Time{}, ""
	c, err := RenderActivation(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"valable 7 jours", "pendant 24 mois", "avoirs émis par Acme Finance"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, absent := range []string{"depuis le", "pour la société"} {
		if strings.Contains(c.Text, absent) || strings.Contains(c.HTML, absent) {
			t.Errorf("mail shows %q, want it left out", absent)
		}
	}
	a.ValidDays, a.RetentionMonths = 1, 12
	c, _ = RenderActivation(a)
	if !strings.Contains(c.Text, "valable 1 jour :") || !strings.Contains(c.Text, "pendant 12 mois") {
		t.Errorf("got %q, want 1 jour and 12 mois", c.Text)
	}
}

func TestDocumentNoticeVariants(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*DocumentNotice)
		subject     string
		want, avoid []string
	}{
		{
			name:    "attached invoice",
			edit:    func(*DocumentNotice) {},
			subject: "Nouvelle facture n° F-2024-0042 — Acme Finance / Acme Location",
			want:    []string{"Une nouvelle facture est disponible", "Le document est joint à ce message au format PDF", "Montant TTC : 1\u202f234,56\u00a0€"},
			avoid:   []string{"duplicata", "copie", "Consultez-le et téléchargez-le"},
		},
		{
			name:    "linked credit note",
			edit:    func(n *DocumentNotice) { n.Type, n.Attached = "credit_note", false },
			subject: "Nouvel avoir n° F-2024-0042 — Acme Finance / Acme Location",
			want:    []string{"Un nouvel avoir est disponible", "Type : avoir", "Consultez-le et téléchargez-le sur le portail"},
			avoid:   []string{"joint à ce message"},
		},
		{
			name:  "duplicate",
			edit:  func(n *DocumentNotice) { n.Duplicate = true },
			want:  []string{"duplicata", "l'original papier vous est envoyé par courrier"},
			avoid: []string{"copie"},
		},
		{
			name:  "copy",
			edit:  func(n *DocumentNotice) { n.Copy = true },
			want:  []string{"Ce document est une", "copie", "plateforme de dématérialisation agréée"},
			avoid: []string{"duplicata"},
		},
		{
			name:  "no amount",
			edit:  func(n *DocumentNotice) { n.Amount = "" },
			avoid: []string{"Montant"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notice("fr")
			tt.edit(&n)
			c, err := RenderDocumentNotice(n)
			if err != nil {
				t.Fatal(err)
			}
			if tt.subject != "" && c.Subject != tt.subject {
				t.Errorf("got subject %q, want %q", c.Subject, tt.subject)
			}
			for _, w := range tt.want {
				if !strings.Contains(c.Text, w) || !strings.Contains(html.UnescapeString(c.HTML), w) {
					t.Errorf("text or HTML lacks %q", w)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(c.Text, a) || strings.Contains(html.UnescapeString(c.HTML), a) {
					t.Errorf("text or HTML shows %q", a)
				}
			}
		})
	}
	n := notice("en")
	n.Copy = true
	c, _ := RenderDocumentNotice(n)
	if c.Subject != "New invoice F-2024-0042 — Acme Finance / Acme Location" ||
		!strings.Contains(c.Text, "the original, which alone has legal value, is delivered to you through the approved e-invoicing platform") {
		t.Errorf("got subject %q and text %q, want the English copy notice", c.Subject, c.Text)
	}
}

func TestDigestCountsAndBadges(t *testing.T) {
	d := digest("fr")
	d.Items[0].Duplicate = true
	c, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2 nouveaux documents disponibles — Acme Finance / Acme Location"; c.Subject != want {
		t.Errorf("got subject %q, want %q", c.Subject, want)
	}
	for _, want := range []string{"- Facture n° F-2024-0042 du 05/03/2024, 1\u202f234,56\u00a0€ TTC (duplicata)\n  Télécharger : https://portal.example/api/links/aaa?x=1&y=2\n",
		"sans connexion, pendant 14 jours", "Un duplicata accompagne un original papier"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if !strings.Contains(c.HTML, `<a href="https://portal.example/api/links/aaa?x=1&amp;y=2" style="color:#1d4ed8;">Télécharger la facture n° F-2024-0042 (PDF)</a>`) {
		t.Errorf("HTML lacks the first item's labelled link: %s", c.HTML)
	}
	if strings.Contains(c.Text, "Une copie accompagne") {
		t.Errorf("text explains copies though no item is one")
	}

	d = digest("en")
	d.Items = d.Items[1:]
	d.LinkValidDays = 0
	c, err = RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 new document available — Acme Finance / Acme Location"; c.Subject != want {
		t.Errorf("got subject %q, want %q", c.Subject, want)
	}
	if !strings.Contains(c.Text, "A new document has been made available") || !strings.Contains(c.Text, "for 14 days") ||
		!strings.Contains(c.HTML, ">Download credit note AV-7 (PDF)</a>") {
		t.Errorf("got %q, want the singular wording, the 14-day default and a labelled link", c.Text)
	}
}

func TestRecoveryDuration(t *testing.T) {
	tests := []struct {
		minutes int
		lang    Lang
		want    string
	}{
		{0, French, "valable 1 heure"},
		{120, French, "valable 2 heures"},
		{90, French, "valable 90 minutes"},
		{1, English, "valid for 1 minute"},
		{180, English, "valid for 3 hours"},
	}
	for _, tt := range tests {
		r := recovery(tt.lang)
		r.ValidMinutes = tt.minutes
		c, err := RenderRecovery(r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Text, tt.want) {
			t.Errorf("%d minutes in %s: text lacks %q", tt.minutes, tt.lang, tt.want)
		}
	}
}

func TestUserDataIsEscaped(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	a := activation("fr")
	a.CompanyName = evil
	n := notice("en")
	n.CompanyName, n.Number = evil, evil
	d := digest("fr")
	d.CompanyName = evil
	d.Items[0].Number = evil
	b := brand
	b.SpaceName, b.SenderName = evil, evil
	r := recovery("fr")
	r.Brand = b
	renders := map[string]func() (Content, error){
		"activation": func() (Content, error) { return RenderActivation(a) },
		"notice":     func() (Content, error) { return RenderDocumentNotice(n) },
		"digest":     func() (Content, error) { return RenderDigest(d) },
		"brand":      func() (Content, error) { return RenderRecovery(r) },
	}
	for name, render := range renders {
		t.Run(name, func(t *testing.T) {
			c, err := render()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(c.HTML, "<script") {
				t.Errorf("HTML holds a raw <script>: %s", c.HTML)
			}
			if !strings.Contains(c.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
				t.Errorf("HTML lacks the escaped company name")
			}
			if !strings.Contains(c.Text, evil) {
				t.Errorf("text lacks the literal value %q", evil)
			}
		})
	}
}

func TestBrandColour(t *testing.T) {
	tests := []struct {
		color, wantColor, wantText string
	}{
		{"#1F4E79", "#1f4e79", "#ffffff"},
		{"#ffd700", "#ffd700", "#000000"}, // gold: white text would be unreadable
		{"", DefaultColor, "#ffffff"},
		{"red;background:url(https://tracker.example/p.gif)", DefaultColor, "#ffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.color, func(t *testing.T) {
			r := recovery("fr")
			r.Brand.Color = tt.color
			c, err := RenderRecovery(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := "background-color:" + tt.wantColor + ";color:" + tt.wantText + ";"; !strings.Contains(c.HTML, want) {
				t.Errorf("HTML lacks %q", want)
			}
			if strings.Contains(c.HTML, "tracker") {
				t.Errorf("HTML carries the invalid colour")
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := map[string]func() (Content, error){
		"activation without identifier": func() (Content, error) { a := activation("fr"); a.Identifier = " "; return RenderActivation(a) },
		"activation without space name": func() (Content, error) { a := activation("fr"); a.Brand.SpaceName = ""; return RenderActivation(a) },
		"activation with a javascript link": func() (Content, error) {
			a := activation("fr")
			a.SetPasswordURL = "javascript:alert(1)"
			return RenderActivation(a)
		},
		"activation with a relative portal URL": func() (Content, error) { a := activation("fr"); a.PortalURL = "/acme/"; return RenderActivation(a) },
		"activation without help URL":           func() (Content, error) { a := activation("fr"); a.HelpURL = ""; return RenderActivation(a) },
		"notice with an unknown type":           func() (Content, error) { n := notice("fr"); n.Type = "receipt"; return RenderDocumentNotice(n) },
		"notice with a bad date":                func() (Content, error) { n := notice("fr"); n.IssueDate = "05/03/2024"; return RenderDocumentNotice(n) },
		"notice with a French amount":           func() (Content, error) { n := notice("fr"); n.Amount = "1 234,56"; return RenderDocumentNotice(n) },
		"notice with a bad currency":            func() (Content, error) { n := notice("fr"); n.Currency = "EURO"; return RenderDocumentNotice(n) },
		"notice without number":                 func() (Content, error) { n := notice("fr"); n.Number = ""; return RenderDocumentNotice(n) },
		"digest without items":                  func() (Content, error) { d := digest("fr"); d.Items = nil; return RenderDigest(d) },
		"digest item without link":              func() (Content, error) { d := digest("fr"); d.Items[1].LinkURL = ""; return RenderDigest(d) },
		"recovery without e-mail":               func() (Content, error) { r := recovery("fr"); r.Email = ""; return RenderRecovery(r) },
		"password changed without time": func() (Content, error) {
			p := passwordChanged("fr")
			p.At = time.Time{}
			return RenderPasswordChanged(p)
		},
	}
	for name, render := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := render()
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
			if c != (Content{}) {
				t.Errorf("got content %q, want none", c.Subject)
			}
		})
	}
}

func TestParseLang(t *testing.T) {
	tests := map[string]Lang{"fr": French, "en": English, "EN": English, "en-GB": English, "": French, "de": French, "english": French}
	for in, want := range tests {
		if got := ParseLang(in); got != want {
			t.Errorf("ParseLang(%q) = %q, want %q", in, got, want)
		}
	}
	r := recovery("de")
	c, err := RenderRecovery(r)
	if err != nil || !strings.Contains(c.HTML, `lang="fr"`) {
		t.Errorf("got %v and no French mail for an unknown language", err)
	}
}

func TestPasswordChangedDefaultsToUTC(t *testing.T) {
	p := passwordChanged("en")
	p.Location = nil
	c, err := RenderPasswordChanged(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "8 December 2022 at 14:14 (UTC)"; !strings.Contains(c.Text, want) {
		t.Errorf("text lacks %q", want)
	}
}
