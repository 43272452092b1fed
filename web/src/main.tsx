// Entry: start the live stream and render the page.
import { render } from 'preact';
import './styles.css';
import { App } from './App.tsx';
import { connectLive } from './live.ts';
import { registerFlagsPage } from './console/slots.ts';
import { FlagsHome } from './pages/FlagsHome.tsx';

registerFlagsPage(FlagsHome);
connectLive();
render(<App />, document.getElementById('app')!);
