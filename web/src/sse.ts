// Server-sent events off a fetch response body (the wire format of GET /api/stream).

/** Calls `on` for each event until the stream ends. Comments, `id:` and `retry:` are ignored. */
export async function readEvents(body: ReadableStream<Uint8Array>, on: (event: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      let event = 'message';
      const data: string[] = [];
      for (const line of buffer.slice(0, end).split('\n')) {
        const [, field, text = ''] = /^([^:]*):? ?(.*)$/.exec(line)!;
        if (field === 'event') event = text;
        if (field === 'data') data.push(text);
      }
      buffer = buffer.slice(end + 2);
      if (data.length) on(event, data.join('\n'));
    }
  }
}
