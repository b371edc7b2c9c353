// Tokens that mails carry in the URL fragment (never sent to a server by the browser).

// takeToken reads the token from the fragment, removes it from the address bar and keeps
// it for this tab under key, so a reload still finds it.
export function takeToken(key: string): string {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    try {
      sessionStorage.setItem(key, m[1]);
    } catch {
      // Kept in memory only.
    }
    history.replaceState(null, '', location.pathname + location.search);
    return m[1];
  }
  try {
    return sessionStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

// reloadOnNewToken starts the page again when another link opened in this tab changes
// only the fragment.
export function reloadOnNewToken(): void {
  window.addEventListener('hashchange', () => {
    if (/token=/.test(location.hash)) location.reload();
  });
}
