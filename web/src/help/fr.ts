import type { QA } from './content.ts';

export const help: QA[] = [
  {
    id: 'portail',
    q: 'Qu\'est-ce que le portail E-Facture et comment en bénéficier ?',
    a: [
      'Le portail E-Facture vous permet de récupérer simplement et en toute sécurité les factures et avoirs de {space} au format électronique, à la place du papier. Les originaux de factures déposés dans votre espace ont la même valeur juridique et fiscale que des factures papier.',
      'Le service est gratuit et automatique. Seul prérequis : que {space} connaisse une adresse mail valide pour votre société, communiquée à la souscription de votre contrat ou à votre conseiller clientèle. Cette adresse reçoit le mail d\'activation de compte avec votre identifiant, puis, si vous le souhaitez, les mails de notification de nouvelles factures.',
      'La personne dont l\'adresse est enregistrée devient l\'administrateur principal de l\'espace de votre société : elle peut créer des comptes pour ses collaborateurs.',
      'Vous préférez recevoir vos originaux sur papier ? Dites-le à votre conseiller clientèle : vos originaux arriveront par la poste et le portail vous en présentera les duplicatas.',
      { see: ['acces', 'collaborateurs', 'duree'] },
    ],
  },
  {
    id: 'acces',
    q: 'Comment accéder à mes factures électroniques ?',
    a: [
      'De deux façons :',
      {
        list: [
          'en vous connectant au portail avec votre identifiant : celui du mail d\'activation de compte si c\'est votre adresse qui est enregistrée (vous êtes alors l\'administrateur principal), ou celui que l\'administrateur de votre société vous a donné ;',
          'directement depuis les mails de notification, si vous avez choisi d\'en recevoir : selon votre choix, la facture y est jointe ou un lien permet de la télécharger.',
        ],
      },
      'Le mail d\'activation part à l\'émission de la première facture qui suit l\'enregistrement de votre adresse, et non au moment de cet enregistrement : attendez-le avant d\'essayer de vous connecter.',
      'Si vous avez plusieurs sociétés, vous recevez un mail d\'activation par société, chacun avec un identifiant différent.',
      'Important : si aucune adresse mail n\'est enregistrée pour votre société, vous ne recevez ni mail d\'activation ni notification. Demandez à votre conseiller clientèle d\'enregistrer l\'adresse de la personne qui administrera l\'espace de votre société.',
      { see: ['identifiant', 'connexion'] },
    ],
  },
  {
    id: 'activation',
    q: 'Je n\'ai pas reçu de mail d\'activation de compte. Que faire ?',
    a: [
      'Plusieurs raisons sont possibles :',
      {
        list: [
          'aucune facture n\'a encore été émise depuis l\'enregistrement de votre adresse : le mail partira avec la première ;',
          'aucune adresse mail n\'est enregistrée pour votre société, ou l\'adresse enregistrée est erronée ou ancienne : contactez votre conseiller clientèle, vous recevrez un nouvel identifiant à la prochaine facture ;',
          'le mail a été classé dans vos courriers indésirables : déclarez l\'expéditeur comme sûr ;',
          'votre messagerie était pleine : videz-la pour recevoir les prochains mails ;',
          'votre adresse n\'est pas l\'adresse enregistrée pour votre société : demandez un compte à l\'administrateur E-Facture de votre société.',
        ],
      },
      { see: ['collaborateurs'] },
    ],
  },
  {
    id: 'identifiant',
    q: 'Où trouver mon identifiant de connexion ?',
    a: [
      'Il figure dans le mail d\'activation de compte reçu à la création de votre compte. Si c\'est le premier compte E-Facture de votre adresse, votre identifiant est votre adresse mail ; sinon, c\'est un identifiant du type pierre.durand_1.',
      'Vous ne retrouvez plus ce mail ? Cliquez sur « Mot de passe ou identifiant oublié » sur la page de connexion et saisissez votre adresse mail : vous recevrez un mail de récupération. Son lien ouvre une page qui affiche votre société et votre identifiant, ou la liste de vos sociétés avec l\'identifiant de chacune si vous en avez plusieurs.',
      { page: 'forgot', text: 'Mot de passe ou identifiant oublié' },
    ],
  },
  {
    id: 'connexion',
    q: 'Comment me connecter au portail ?',
    a: [
      'Première connexion : choisissez d\'abord votre mot de passe, avec le lien de votre mail d\'activation (valable 7 jours) ou, passé ce délai, avec « Mot de passe ou identifiant oublié ».',
      'Ensuite, saisissez votre identifiant et votre mot de passe sur la page de connexion et cliquez sur « Connexion ». Après 30 minutes sans activité, la session se ferme : reconnectez-vous, le portail vous ramène à la page où vous étiez.',
      { see: ['identifiant', 'mot-de-passe'] },
    ],
  },
  {
    id: 'autre-fournisseur',
    q: 'Pourquoi, une fois connecté, vois-je les factures d\'un autre fournisseur ?',
    a: [
      'Chaque fournisseur dépose ses factures dans un espace E-Facture indépendant, avec ses propres identifiants. Si vous vous connectez avec l\'identifiant reçu d\'un autre fournisseur, vous arrivez dans l\'espace de ce fournisseur, quelle que soit la page de connexion utilisée.',
      'Pour voir les factures de {space}, connectez-vous avec l\'identifiant du mail d\'activation de {space}. Votre identifiant n\'est votre adresse mail que si vous n\'avez pas d\'autre compte E-Facture ; sinon, un autre identifiant vous a été attribué.',
      { see: ['activation', 'identifiant'] },
    ],
  },
  {
    id: 'affichage',
    q: 'Pourquoi mes factures de plus de 3 mois ne s\'affichent-elles pas ?',
    a: [
      'La liste « Mes documents » affiche par défaut les documents de la période choisie dans votre profil, « Historique d\'affichage », qui vaut 3 mois au départ.',
      'Pour voir des documents plus anciens, choisissez des dates dans la recherche, ou allez dans « Mon profil », section « Préférences », et portez l\'historique d\'affichage à 24 mois, la durée pendant laquelle vos documents restent disponibles. Une recherche par numéro porte toujours sur toute cette durée.',
      { page: 'profile', text: 'Mon profil' },
      'Assurez-vous aussi d\'être connecté avec votre identifiant {space} et non celui d\'un autre fournisseur. Si des documents émis depuis le {since} manquent toujours, contactez votre conseiller clientèle.',
    ],
  },
  {
    id: 'notification',
    q: 'Comment suis-je informé d\'une nouvelle facture ?',
    a: [
      'Un mail de notification est envoyé à l\'adresse enregistrée pour votre société, si vous avez choisi d\'en recevoir. Les choix possibles :',
      {
        list: [
          'pas de mail de notification (le choix par défaut) : vous ne recevez que le mail d\'activation ;',
          'un mail à chaque nouvelle facture, avec la facture en pièce jointe ;',
          'un mail à chaque nouvelle facture, sans pièce jointe, avec un lien vers le portail ;',
          'un mail par jour récapitulant les factures du jour, chacune avec un lien qui la télécharge directement, sans identifiant.',
        ],
      },
      'Pour changer de mode, contactez votre conseiller clientèle.',
      { see: ['notification-absente'] },
    ],
  },
  {
    id: 'mot-de-passe',
    q: 'J\'ai oublié mon mot de passe. Que faire ?',
    a: [
      'Que vous n\'ayez jamais choisi de mot de passe ou que vous l\'ayez oublié, la démarche est la même :',
      {
        list: [
          'sur la page de connexion, cliquez sur « Mot de passe ou identifiant oublié » ;',
          'saisissez l\'adresse mail rattachée à votre compte (celle du mail d\'activation, ou celle que l\'administrateur de votre société a enregistrée sur votre compte) et cliquez sur « Envoyer » ;',
          'dans le mail reçu, cliquez sur le lien : il est valable une heure, et seul le dernier lien demandé fonctionne ;',
          'si vous avez plusieurs comptes, choisissez celui dont vous définissez le mot de passe ;',
          'saisissez deux fois votre nouveau mot de passe et cliquez sur « Enregistrer le mot de passe ».',
        ],
      },
      'Le mot de passe doit contenir au moins 8 caractères dont une majuscule, un chiffre et un caractère spécial, ou être une phrase d\'au moins 15 caractères. Il ne doit être ni un mot de passe courant, ni contenir votre identifiant. Si les deux saisies diffèrent ou si une règle n\'est pas respectée, un message vous l\'indique.',
      'Une fois le mot de passe enregistré, la page de connexion s\'affiche : connectez-vous avec votre identifiant et ce mot de passe.',
      { page: 'forgot', text: 'Mot de passe ou identifiant oublié' },
    ],
  },
  {
    id: 'mail-reinitialisation',
    q: 'Pourquoi n\'ai-je pas reçu le mail de réinitialisation ?',
    a: [
      'Il arrive en général dans les minutes qui suivent la demande. Regardez dans vos courriers indésirables. Le délai peut parfois être plus long, du fait de votre messagerie ; si rien n\'arrive au bout de quelques heures, refaites la demande. En cas d\'échecs répétés, contactez votre conseiller clientèle.',
    ],
  },
  {
    id: 'avant',
    q: 'Où trouver mes factures émises avant le {since} ?',
    a: [
      'Le portail présente les documents de {space} émis depuis le {since}. Pour un document plus ancien, contactez votre conseiller clientèle.',
    ],
  },
  {
    id: 'notification-absente',
    q: 'Je n\'ai pas reçu le mail de notification de ma dernière facture. Que faire ?',
    a: [
      'Les raisons possibles :',
      {
        list: [
          'aucune adresse mail n\'est enregistrée pour votre société, ou vous n\'avez pas demandé de notification : contactez votre conseiller clientèle ;',
          'l\'adresse enregistrée est erronée ou ancienne : signalez la bonne adresse à votre conseiller clientèle ;',
          'le mail a été classé dans vos courriers indésirables ;',
          'votre boîte mail était pleine.',
        ],
      },
      'Dans tous les cas, la facture est disponible dans votre espace E-Facture.',
    ],
  },
  {
    id: 'collaborateurs',
    q: 'Puis-je donner accès à l\'espace E-Facture à d\'autres collaborateurs ?',
    a: [
      'Oui, si vous êtes administrateur de l\'espace de votre société. Le destinataire des mails d\'activation et de notification en est l\'administrateur principal.',
      'Dans le menu « Administration », cliquez sur « Ajouter un utilisateur », puis indiquez son identifiant (par exemple son adresse mail), un mot de passe saisi deux fois, ses nom, prénom et coordonnées, un profil, et cochez « Administrateur » si cette personne doit pouvoir gérer les utilisateurs à son tour.',
      'Aucun mail n\'est envoyé à la création du compte : communiquez vous-même l\'identifiant et le mot de passe. Ces utilisateurs ne reçoivent pas les mails de notification, mais voient tous les documents de la société. Ils peuvent changer leur mot de passe dans « Mon profil ».',
      'L\'administration permet aussi de modifier un utilisateur, de le désactiver ou le réactiver, de lui définir un nouveau mot de passe, et de consulter le journal d\'activité de la société.',
      { page: 'admin', text: 'Administration' },
    ],
  },
  {
    id: 'duree',
    q: 'Combien de temps mes factures sont-elles disponibles ?',
    a: [
      'Chaque document reste disponible 24 mois après sa date d\'émission ; la colonne « Disponible jusqu\'au » de « Mes documents » donne la date exacte, et la mention « Expire bientôt » signale les documents qui disparaissent dans moins de 30 jours.',
      'Pensez à télécharger et archiver vos factures dès réception, ou au plus tard avant cette date, pour les conserver pendant la durée légale exigée par l\'administration fiscale.',
      { see: ['plusieurs'] },
    ],
  },
  {
    id: 'plusieurs',
    q: 'Comment télécharger plusieurs documents à la fois ?',
    a: [
      'Dans « Mes documents », cochez les documents voulus (ou la case de l\'en-tête pour toute la page) et cliquez sur « Télécharger la sélection (ZIP) ». « Télécharger la période (ZIP) » prend tous les documents de la période et du type recherchés. Chaque archive contient les PDF et un index CSV, 500 documents au plus.',
      '« Exporter la liste (CSV) » produit un tableau des documents de la période, à ouvrir dans un tableur. La préparation prend quelques secondes ; le téléchargement commence dès que le fichier est prêt.',
    ],
  },
  {
    id: 'mentions',
    q: 'Que signifient les mentions « Nouveau », « Duplicata » et « Copie » ?',
    a: [
      {
        list: [
          'Nouveau : le document n\'a encore jamais été téléchargé depuis le portail.',
          'Duplicata : votre société reçoit ses originaux sur papier ; le portail en présente une copie.',
          'Copie : l\'original légal de la facture vous parvient par votre plateforme de facturation électronique agréée, comme le prévoit la réforme de la facturation électronique ; le portail en garde une copie pour votre confort.',
        ],
      },
    ],
  },
  {
    id: 'adresse',
    q: 'Comment changer mon adresse de notification ou mon choix de notification ?',
    a: [
      'Ces changements ne se font pas dans l\'espace E-Facture : ils sont enregistrés par les services de {space}. Contactez votre conseiller clientèle.',
      'À la facture qui suit le changement d\'adresse, vous recevrez sur la nouvelle adresse un mail d\'activation avec un nouvel identifiant ; l\'ancien compte administrateur principal est alors désactivé.',
    ],
  },
  {
    id: 'contact',
    q: 'Qui contacter pour une autre question ?',
    a: [
      'Votre centre de relation clientèle ou votre conseiller clientèle, dont les coordonnées figurent sur vos factures.',
    ],
  },
];
