/** Entry point: Mantine theme, session, app. Everything is bundled; no third-party URLs. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme, darken, defaultVariantColorsResolver, parseThemeColor } from '@mantine/core';
import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './styles.css';
import { App } from './app';
import { SessionProvider } from './login/session-provider';

const theme = createTheme({
  primaryColor: 'teal',
  primaryShade: 9,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif',
  defaultRadius: 'md',
  // Light buttons and badges: darker text than Mantine's default, for a contrast ratio above 4.5:1.
  variantColorResolver: (input) => {
    const r = defaultVariantColorsResolver(input);
    const base = parseThemeColor({ color: input.color ?? input.theme.primaryColor, theme: input.theme }).value;
    if (input.variant === 'filled') return { ...r, hover: darken(r.background, 0.2) };
    if (input.variant !== 'light') return r;
    return { ...r, color: darken(base, 0.35) };
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <SessionProvider>
        <App />
      </SessionProvider>
    </MantineProvider>
  </StrictMode>,
);
