// The help page's questions and answers, adapted from the supplier's FAQ to
// this portal. {space} is the space's name, {since} the date its documents
// start from. A block is a paragraph, a list, or "see also" links to other
// questions by id.

export type Block = string | { list: string[] } | { see: string[] } | { page: 'forgot' | 'profile' | 'admin' | ''; text: string };

export interface QA {
  id: string;
  q: string;
  a: Block[];
}
