import { useEffect, useRef, useState } from 'preact/hooks';

type Detector = { detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]> };
type DetectorClass = new (options: { formats: string[] }) => Detector;
const detectorClass = () => (window as Window & { BarcodeDetector?: DetectorClass }).BarcodeDetector;
const canScan = () => Boolean(detectorClass() && navigator.mediaDevices?.getUserMedia);

/** Reads the operator's QR code with the camera, where the browser can (BarcodeDetector); gives its text. */
function QrScanner({
  onText,
  onStop,
}: {
  onText: (text: string) => void;
  onStop: (problem?: string) => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    const Detector = detectorClass();
    void navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then(async (s) => {
        stream = s;
        const el = video.current;
        if (!el || !Detector) return;
        el.srcObject = s;
        await el.play();
        const detector = new Detector({ formats: ['qr_code'] });
        timer = setInterval(() => {
          void detector.detect(el).then((codes) => {
            const text = codes[0]?.rawValue;
            if (text) onText(text);
          });
        }, 300);
      })
      .catch((err: unknown) =>
        onStop(`The camera could not be opened (${err instanceof Error ? err.message : String(err)}).`),
      );
    return () => {
      clearInterval(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);
  return (
    <div class="qr-scanner">
      <video ref={video} muted playsInline aria-label="Camera view for the QR code" />
      <button type="button" class="secondary" onClick={() => onStop()}>
        Stop scanning
      </button>
    </div>
  );
}

/**
 * The way back to a signed-in device: paste the operator's enrolment link (or its code), or scan
 * the QR code where the browser can read one.
 */
export function SignIn({ signIn }: { signIn: (text: string) => Promise<void> }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const use = async (value: string) => {
    setScanning(false);
    setBusy(true);
    try {
      await signIn(value);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="sign-in"
      aria-label="Sign this device in"
      onSubmit={(e) => {
        e.preventDefault();
        void use(text);
      }}
    >
      <label for="enrolment-link">Enrolment link or code</label>
      <input
        id="enrolment-link"
        class="field"
        value={text}
        autoComplete="off"
        placeholder="https://…/enroll#code=…"
        onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit" disabled={busy || !text.trim()}>
        Sign in
      </button>
      {canScan() ? (
        !scanning && (
          <button type="button" class="secondary" onClick={() => setScanning(true)}>
            Scan QR code
          </button>
        )
      ) : (
        <p class="note">Or point the phone’s camera app at the operator’s QR code: it opens the link.</p>
      )}
      {scanning && (
        <QrScanner
          onText={(value) => void use(value)}
          onStop={(why) => {
            setScanning(false);
            setProblem(why ?? null);
          }}
        />
      )}
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
    </form>
  );
}
