import type { QA } from './content.ts';

export const help: QA[] = [
  {
    id: 'portail',
    q: 'What is the E-Facture portal and how do I get it?',
    a: [
      'The E-Facture portal lets you collect {space}\'s invoices and credit notes electronically, simply and securely, instead of on paper. The original invoices in your space have the same legal and tax value as paper invoices.',
      'The service is free and automatic. The only requirement: {space} must know a valid e-mail address for your company, given when you signed your contract or to your customer advisor. That address receives the account activation mail with your identifier and then, if you wish, the mails announcing new invoices.',
      'The person whose address is registered becomes the main administrator of your company\'s space: they can create accounts for their colleagues.',
      'Do you prefer paper originals? Tell your customer advisor: the originals will come by post, and the portal will show you their duplicates.',
      { see: ['acces', 'collaborateurs', 'duree'] },
    ],
  },
  {
    id: 'acces',
    q: 'How do I reach my electronic invoices?',
    a: [
      'In two ways:',
      {
        list: [
          'by signing in to the portal with your identifier: the one in the account activation mail if your address is the registered one (you are then the main administrator), or the one your company\'s administrator gave you;',
          'straight from the notification mails, if you chose to receive them: depending on your choice, the invoice is attached or a link downloads it.',
        ],
      },
      'The activation mail goes out when the first invoice after your address was registered is issued, not when the address is registered: wait for it before trying to sign in.',
      'If you have several companies, you receive one activation mail per company, each with a different identifier.',
      'Important: if no e-mail address is registered for your company, you receive neither an activation mail nor notifications. Ask your customer advisor to register the address of the person who will administer your company\'s space.',
      { see: ['identifiant', 'connexion'] },
    ],
  },
  {
    id: 'activation',
    q: 'I did not receive an account activation mail. What should I do?',
    a: [
      'There may be several reasons:',
      {
        list: [
          'no invoice has been issued yet since your address was registered: the mail will come with the first one;',
          'no e-mail address is registered for your company, or the registered one is wrong or outdated: contact your customer advisor, and you will receive a new identifier with the next invoice;',
          'the mail went to your spam folder: mark the sender as safe;',
          'your mailbox was full: empty it to receive the next mails;',
          'your address is not the one registered for your company: ask your company\'s E-Facture administrator for an account.',
        ],
      },
      { see: ['collaborateurs'] },
    ],
  },
  {
    id: 'identifiant',
    q: 'Where do I find my identifier?',
    a: [
      'It is in the account activation mail you received when your account was created. If it is your address\'s first E-Facture account, your identifier is your e-mail address; otherwise it is an identifier such as pierre.durand_1.',
      'Cannot find that mail? Click “Forgotten password or identifier” on the sign-in page and enter your e-mail address: you will receive a recovery mail. Its link opens a page showing your company and identifier, or the list of your companies with each one\'s identifier if you have several.',
      { page: 'forgot', text: 'Forgotten password or identifier' },
    ],
  },
  {
    id: 'connexion',
    q: 'How do I sign in to the portal?',
    a: [
      'First time: choose your password first, with the link in your activation mail (valid 7 days) or, after that, with “Forgotten password or identifier”.',
      'Then enter your identifier and password on the sign-in page and click “Sign in”. After 30 minutes without activity, the session closes: sign in again and the portal takes you back to the page you were on.',
      { see: ['identifiant', 'mot-de-passe'] },
    ],
  },
  {
    id: 'autre-fournisseur',
    q: 'Why do I see another supplier\'s invoices once signed in?',
    a: [
      'Each supplier puts its invoices in its own E-Facture space, with its own identifiers. If you sign in with the identifier another supplier gave you, you land in that supplier\'s space, whatever sign-in page you used.',
      'To see {space}\'s invoices, sign in with the identifier of {space}\'s activation mail. Your identifier is your e-mail address only if you have no other E-Facture account; otherwise another identifier was given to you.',
      { see: ['activation', 'identifiant'] },
    ],
  },
  {
    id: 'affichage',
    q: 'Why are my invoices older than 3 months not shown?',
    a: [
      'The “My documents” list shows by default the documents of the period set in your profile, “Display history”, which starts at 3 months.',
      'To see older documents, choose dates in the search, or go to “My profile”, “Preferences”, and set the display history to 24 months, the time your documents stay available. A search by number always covers that whole time.',
      { page: 'profile', text: 'My profile' },
      'Also make sure you signed in with your {space} identifier and not another supplier\'s. If documents issued since {since} are still missing, contact your customer advisor.',
    ],
  },
  {
    id: 'notification',
    q: 'How am I told about a new invoice?',
    a: [
      'A notification mail goes to the address registered for your company, if you chose to receive them. The choices:',
      {
        list: [
          'no notification mail (the default): you receive the activation mail only;',
          'a mail for each new invoice, with the invoice attached;',
          'a mail for each new invoice, without attachment, with a link to the portal;',
          'one mail a day listing the day\'s invoices, each with a link that downloads it directly, without an identifier.',
        ],
      },
      'To change the mode, contact your customer advisor.',
      { see: ['notification-absente'] },
    ],
  },
  {
    id: 'mot-de-passe',
    q: 'I forgot my password. What should I do?',
    a: [
      'Whether you never chose a password or forgot it, the steps are the same:',
      {
        list: [
          'on the sign-in page, click “Forgotten password or identifier”;',
          'enter the e-mail address of your account (the one of the activation mail, or the one your company\'s administrator registered on your account) and click “Send”;',
          'in the mail you receive, click the link: it is valid for one hour, and only the latest link asked for works;',
          'if you have several accounts, choose the one whose password you set;',
          'type your new password twice and click “Save the password”.',
        ],
      },
      'The password needs at least 8 characters with an upper-case letter, a digit and a special character, or must be a passphrase of at least 15 characters. It must be neither a common password nor contain your identifier. If the two entries differ or a rule is broken, a message says so.',
      'Once the password is saved, the sign-in page appears: sign in with your identifier and this password.',
      { page: 'forgot', text: 'Forgotten password or identifier' },
    ],
  },
  {
    id: 'mail-reinitialisation',
    q: 'Why did I not receive the password reset mail?',
    a: [
      'It usually arrives within minutes of the request. Look in your spam folder. It may sometimes take longer because of your mail provider; if nothing arrives after a few hours, ask again. If it keeps failing, contact your customer advisor.',
    ],
  },
  {
    id: 'avant',
    q: 'Where are my invoices issued before {since}?',
    a: [
      'The portal shows {space}\'s documents issued since {since}. For an older document, contact your customer advisor.',
    ],
  },
  {
    id: 'notification-absente',
    q: 'I did not receive the notification mail of my last invoice. What should I do?',
    a: [
      'The possible reasons:',
      {
        list: [
          'no e-mail address is registered for your company, or you did not ask for notifications: contact your customer advisor;',
          'the registered address is wrong or outdated: give the right one to your customer advisor;',
          'the mail went to your spam folder;',
          'your mailbox was full.',
        ],
      },
      'Either way, the invoice is available in your E-Facture space.',
    ],
  },
  {
    id: 'collaborateurs',
    q: 'Can I give other colleagues access to the E-Facture space?',
    a: [
      'Yes, if you are an administrator of your company\'s space. Whoever receives the activation and notification mails is its main administrator.',
      'In the “Administration” menu, click “Add a user”, then give their identifier (their e-mail address, for instance), a password typed twice, their names and contact details, a profile, and tick “Administrator” if they should be able to manage users in turn.',
      'No mail is sent when the account is created: give the identifier and password yourself. These users do not receive notification mails, but see all of the company\'s documents. They can change their password in “My profile”.',
      'Administration also lets you edit a user, deactivate or reactivate them, set them a new password, and read the company\'s activity log.',
      { page: 'admin', text: 'Administration' },
    ],
  },
  {
    id: 'duree',
    q: 'How long are my invoices available?',
    a: [
      'Each document stays available for 24 months after its issue date; the “Available until” column of “My documents” gives the exact date, and the “Expires soon” note marks documents that go within 30 days.',
      'Download and archive your invoices as soon as they arrive, or at the latest before that date, to keep them for the legal period the tax authorities require.',
      { see: ['plusieurs'] },
    ],
  },
  {
    id: 'plusieurs',
    q: 'How do I download several documents at once?',
    a: [
      'In “My documents”, tick the documents you want (or the box in the header for the whole page) and click “Download the selection (ZIP)”. “Download the period (ZIP)” takes every document of the period and type searched for. Each archive holds the PDFs and a CSV index, 500 documents at most.',
      '“Export the list (CSV)” gives a table of the period\'s documents, to open in a spreadsheet. Preparing takes a few seconds; the download starts as soon as the file is ready.',
    ],
  },
  {
    id: 'mentions',
    q: 'What do the notes “New”, “Duplicate” and “Copy” mean?',
    a: [
      {
        list: [
          'New: the document has never been downloaded from the portal.',
          'Duplicate: your company receives its originals on paper; the portal shows a copy.',
          'Copy: the invoice\'s legal original reaches you through your approved e-invoicing platform, as the e-invoicing reform requires; the portal keeps a copy for your convenience.',
        ],
      },
    ],
  },
  {
    id: 'adresse',
    q: 'How do I change my notification address or notification choice?',
    a: [
      'These changes are not made in the E-Facture space: {space}\'s services record them. Contact your customer advisor.',
      'With the first invoice after an address change, the new address receives an activation mail with a new identifier; the former main administrator account is then deactivated.',
    ],
  },
  {
    id: 'contact',
    q: 'Whom do I contact with another question?',
    a: [
      'Your customer relations centre or your customer advisor, whose details are on your invoices.',
    ],
  },
];
