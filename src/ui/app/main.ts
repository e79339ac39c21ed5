// The web app's entry: hash routes, the namespace selector, sign-in with a token (`inferd serve --auth`).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type List, type Resource, setToken, token, UNAUTHORIZED_EVENT } from './api.js';
import { DetailPage } from './detail.js';
import { CreatePage } from './editor.js';
import { html } from './html.js';
import { OtherKinds, ServicesList } from './list.js';

type Route =
  | { page: 'list'; namespace?: string }
  | { page: 'detail'; namespace: string; name: string }
  | { page: 'create'; namespace?: string }
  | { page: 'other' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === 'ns' && parts[1] && parts[2] === 'isvc' && parts[3])
    return { page: 'detail', namespace: parts[1], name: parts[3] };
  if (parts[0] === 'ns' && parts[1]) return { page: 'list', namespace: parts[1] };
  if (parts[0] === 'create') return { page: 'create', namespace: params.get('namespace') ?? undefined };
  if (parts[0] === 'other') return { page: 'other' };
  return { page: 'list' };
}

const NS_KEY = 'inferd.namespace';

function SignIn({ message, onSignedIn }: { message: string; onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setToken(value.trim());
    try {
      await get('/apis');
      onSignedIn();
    } catch (err) {
      setToken(undefined);
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return html`<section id="sign-in"><h1>Sign in</h1>
    <p class="muted">${message}</p>
    <p>This server runs with <code>--auth</code>. Paste an API token (<code>inferd token create --namespace NS --role viewer|editor|admin</code>)
    or an OIDC ID token. It is kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>.</p>
    <form onSubmit=${submit}>
      <label for="token">Token</label>
      <input id="token" type="password" size="60" autocomplete="off" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
      <button class="primary" id="sign-in-button" type="submit">Sign in</button>
    </form>
    ${error ? html`<div class="error" role="alert">${error}</div>` : null}
  </section>`;
}

function App() {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [namespaces, setNamespaces] = useState<string[] | undefined>(undefined);
  // Optimistic: the page renders at once and asks for data; a 401 from any call turns it into the sign-in form.
  const [auth, setAuth] = useState<'ok' | { signIn: string }>('ok');
  const [namespace, setNamespace] = useState(localStorage.getItem(NS_KEY) ?? 'default');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    // Any call's 401 lands here, and may come before the namespaces call's own: without a token it is not a
    // rejected token but a first visit.
    const onUnauthorized = () =>
      setAuth({
        signIn: token()
          ? 'The server did not accept the token (expired or revoked?).'
          : 'authentication required: sign in with a token.',
      });
    addEventListener('hashchange', onHash);
    addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    };
  }, []);
  useEffect(() => {
    get<List<Resource>>('/api/v1/namespaces')
      .then((l) => {
        setNamespaces(l.items.map((i) => i.metadata.name));
        setAuth('ok');
      })
      .catch((err) => {
        if (err instanceof ApiError && err.status === 401) setAuth({ signIn: err.message });
        else {
          // 403: the token may not list namespaces; the user types theirs.
          setNamespaces(undefined);
          setAuth('ok');
        }
      });
  }, [version]);
  const current =
    (route.page === 'list' || route.page === 'detail' || route.page === 'create' ? route.namespace : undefined) ??
    namespace;
  useEffect(() => {
    if (current !== namespace) setNamespace(current);
    localStorage.setItem(NS_KEY, current);
  }, [current]);
  const choose = (ns: string) => {
    setNamespace(ns);
    localStorage.setItem(NS_KEY, ns);
    location.hash = `#/ns/${encodeURIComponent(ns)}`;
  };
  const signOut = () => {
    setToken(undefined);
    setVersion((v) => v + 1);
  };
  const options = namespaces && !namespaces.includes(current) ? [...namespaces, current] : namespaces;
  let page: unknown;
  if (typeof auth === 'object')
    page = html`<${SignIn} message=${auth.signIn} onSignedIn=${() => setVersion((v) => v + 1)} />`;
  else if (route.page === 'detail') page = html`<${DetailPage} namespace=${route.namespace} name=${route.name} />`;
  else if (route.page === 'create') page = html`<${CreatePage} namespace=${current} />`;
  else if (route.page === 'other') page = html`<${OtherKinds} namespace=${current} />`;
  else page = html`<${ServicesList} namespace=${current} />`;
  return html`<header class="top">
      <a class="brand" href="#/">inferd</a>
      <nav>
        <a href=${`#/ns/${encodeURIComponent(current)}`} class=${route.page === 'list' || route.page === 'detail' ? 'active' : ''}>Services</a>
        <a href=${`#/create?namespace=${encodeURIComponent(current)}`} class=${route.page === 'create' ? 'active' : ''}>Create</a>
        <a href="#/other" class=${route.page === 'other' ? 'active' : ''}>Graphs and runtimes</a>
      </nav>
      <span class="spacer"></span>
      <label class="row">Namespace ${
        options
          ? html`<select id="namespace" value=${current} onChange=${(e: Event) => choose((e.target as HTMLSelectElement).value)}>
              ${options.map((n) => html`<option value=${n}>${n}</option>`)}</select>`
          : html`<input id="namespace" size="14" value=${current} onChange=${(e: Event) => choose((e.target as HTMLInputElement).value.trim())} />`
      }</label>
      ${token() ? html`<button id="sign-out" onClick=${signOut}>Sign out</button>` : null}
    </header>
    <main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
