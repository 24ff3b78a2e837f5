// The frame every page shares: skip link, site header with navigation, the theme control.
import { useEffect, useState, type ReactNode } from 'react';
import './theme.css';

type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'dragonfly.theme';

function applyTheme(theme: Theme): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
}

// Applied before the first render so that a reload does not flash the other theme.
applyTheme((localStorage.getItem(THEME_KEY) as Theme | null) ?? 'system');

export function ThemeControl() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? 'system');
  useEffect(() => {
    applyTheme(theme);
    if (theme === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return (
    <label className="row" style={{ flexDirection: 'row' }}>
      <span>Theme</span>
      <select value={theme} onChange={(event) => setTheme(event.target.value as Theme)} aria-label="Colour theme">
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

const LINKS = [
  { href: '/', label: 'Network' },
  { href: '/dashboard', label: 'Console' },
  { href: '/docs', label: 'API reference' },
  { href: '/graphql', label: 'GraphQL IDE' },
];

export function Layout({ current, children, actions }: { current: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="site">
        <a className="brand" href="/">
          Dragonfly Market
        </a>
        <nav aria-label="Site">
          {LINKS.map((link) => (
            <a key={link.href} href={link.href} aria-current={link.href === current ? 'page' : undefined}>
              {link.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        {actions}
        <ThemeControl />
      </header>
      <main id="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
