;;; sedd-tests.el --- sedd.el against the real daemon  -*- lexical-binding: t; -*-
;; Run by emacs/tests/run:
;;   SEDD_BINARY=... SEDD_TEST_MODEL=... emacs -Q --batch -l sedd-tests.el -f ert-run-tests-batch-and-exit

(require 'ert)
(add-to-list 'load-path (expand-file-name ".." (file-name-directory (or load-file-name buffer-file-name))))
(require 'sedd)

(defvar sedd-test-binary (getenv "SEDD_BINARY"))
(defvar sedd-test-model (getenv "SEDD_TEST_MODEL"))

(defun sedd-test--wait (seconds predicate)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.01))
    (funcall predicate)))

(defmacro sedd-test--with-settings (settings &rest body)
  (declare (indent 1))
  `(let ((sedd-binary sedd-test-binary) (sedd-model sedd-test-model) (sedd-steps 4) (sedd-span 8)
         (sedd-debounce 20) (sedd-seed 11) (sedd-stop "none") (sedd-transport "stdio") (sedd-disabled-modes nil)
         ,@settings)
     ,@body))

(defmacro sedd-test--in-buffer (text mode &rest body)
  (declare (indent 2))
  `(let ((buffer (generate-new-buffer "sedd-test")))
     (unwind-protect
         (progn (switch-to-buffer buffer)
                (funcall ,mode)
                (insert ,text)
                (sedd-mode 1)
                ,@body)
       (with-current-buffer buffer (sedd-dismiss))
       (kill-buffer buffer))))

(defun sedd-test--sent (method)
  (reverse (cl-remove-if-not (lambda (m) (equal (car m) method)) sedd--sent)))

(defun sedd-test--wait-suggestion ()
  (should (sedd-test--wait 10 (lambda () sedd--suggestion)))
  sedd--suggestion)

(ert-deftest sedd-utf16-columns ()
  (should (= (sedd--utf16-length "aé😀b") 5))
  (should (equal (sedd--percent-encode "/tmp/a b/é.txt") "/tmp/a%20b/%C3%A9.txt"))
  (with-temp-buffer
    (insert "x = 1\nhéllo 😀 wörld")
    (goto-char (point-min)) (forward-line 1) (forward-char 7)
    (should (equal (sedd--position) '(:line 1 :character 8)))))

(ert-deftest sedd-accept-splitting ()
  (should (equal (sedd--take "  foo.bar(x)\nnext" 'word) "  foo"))
  (should (equal (sedd--take ".bar(x)" 'word) "."))
  (should (equal (sedd--take "wörld!" 'word) "wörld"))
  (should (equal (sedd--take "\nnext line" 'word) "\n"))
  (should (equal (sedd--take "foo bar\nbaz" 'line) "foo bar"))
  (should (equal (sedd--take "\n  baz\nqux" 'line) "\n  baz"))
  (should (equal (sedd--take "a\nb" 'all) "a\nb"))
  (should (equal (sedd--trim-repeat "foo)" ")") "foo"))
  (should (equal (sedd--display "a\tb\1") "a\tb^A")))

(ert-deftest sedd-request-building ()
  (sedd-test--with-settings ((sedd-stop "line"))
    (sedd-test--in-buffer "x = 1\nhéllo 😀 wörld" #'python-mode
      (goto-char (point-min)) (forward-line 1) (forward-char 7)
      (let ((params (sedd--request-params "file:///t.py")))
        (should (equal (plist-get params :textDocument) '(:uri "file:///t.py")))
        (should (equal (plist-get params :ranges) [(:start (:line 1 :character 8) :end (:line 1 :character 8))]))
        (should (equal (plist-get params :languageId) "python"))
        (should (equal (plist-get params :stop) "line"))
        (should (equal (plist-get params :seed) 11))))))

(ert-deftest sedd-first-suggestion ()
  (sedd-test--with-settings ()
    (sedd-restart)
    (setq sedd--sent nil)
    (sedd-test--in-buffer "def add(a, b):\n    return a + b  # 😀 é\nprint(add(1, 2))\n" #'python-mode
      (goto-char (point-min)) (forward-line 1) (end-of-line) (backward-char 2)
      (sedd-complete)
      (let ((s (sedd-test--wait-suggestion)))
        (should (= (car s) (point))))
      (let ((init (nth 2 (car (sedd-test--sent "initialize")))))
        (should (equal (plist-get (plist-get init :initializationOptions) :steps) 4))
        (should (equal (plist-get (plist-get init :initializationOptions) :span) 8)))
      (should (equal (plist-get sedd--info :protocolVersion) 1))
      (let ((open (plist-get (nth 2 (car (sedd-test--sent "textDocument/didOpen"))) :textDocument)))
        (should (equal (plist-get open :languageId) "python"))
        (should (equal (plist-get open :text) "def add(a, b):\n    return a + b  # 😀 é\nprint(add(1, 2))\n")))
      (should (equal (plist-get (aref (plist-get (nth 2 (car (sedd-test--sent "sedd/infill"))) :ranges) 0) :start)
                     '(:line 1 :character 22)))
      (should (overlayp sedd--overlay))
      (should (string-match-p "\\`sedd [0-9]+ms 4 steps\\'" (sedd-status-string))))))

(ert-deftest sedd-accept-all-real ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "héllo 😀 wörld" #'text-mode
      (goto-char (+ (point-min) 7))
      (sedd-complete)
      (let ((s (sedd-test--wait-suggestion)))
        (should (sedd-accept))
        (should (equal (buffer-string) (concat "héllo 😀" (cadr s) " wörld")))
        (should-not sedd--suggestion)))))

(ert-deftest sedd-accept-word-line-all ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "ab" #'text-mode
      (goto-char 2)
      (setq sedd--suggestion (list 2 "foo bar baz\nqux"))
      (should (sedd-accept 'word))
      (should (equal (buffer-string) "afoob"))
      (should (equal (cadr sedd--suggestion) " bar baz\nqux"))
      (sedd--post-command)                ; our own accept must not dismiss the rest
      (should (equal (cadr sedd--suggestion) " bar baz\nqux"))
      (should (sedd-accept 'line))
      (should (equal (buffer-string) "afoo bar bazb"))
      (should (sedd-accept 'all))
      (should (equal (buffer-string) "afoo bar baz\nquxb"))
      (should (= (point) (1- (point-max))))
      (should-not (sedd-accept 'all)))))

(ert-deftest sedd-debounce-then-request ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "" #'text-mode
      (insert "typed")
      (sedd--post-command)
      (should sedd--timer)
      (sedd-test--wait-suggestion)
      (should (= (car sedd--suggestion) (point))))))

(ert-deftest sedd-cancel-then-send ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "let x = 1;" #'text-mode
      (goto-char 4)
      (sedd-complete)
      (let ((first sedd--pending) (dropped sedd--dropped))
        (should (nth 1 first))
        (sedd-complete)
        (let* ((second sedd--pending)
               (log (reverse sedd--sent))
               (cancel-at (cl-position-if (lambda (m) (and (equal (car m) "$/cancelRequest")
                                                           (equal (plist-get (nth 2 m) :id) (nth 1 first))))
                                          log))
               (second-at (cl-position-if (lambda (m) (equal (nth 1 m) (nth 1 second))) log)))
          (should (not (equal (nth 1 first) (nth 1 second))))
          (should (and cancel-at second-at (< cancel-at second-at))))
        (sedd-test--wait-suggestion)
        (should (sedd-test--wait 5 (lambda () (> sedd--dropped dropped))))))))

(ert-deftest sedd-stale-answer-dropped ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "abc" #'text-mode
      (goto-char 2)
      (sedd-complete)
      (should sedd--pending)
      (let ((dropped sedd--dropped))
        (save-excursion (goto-char (point-max)) (insert "d"))
        (should (sedd-test--wait 5 (lambda () (null sedd--pending))))
        (should (= sedd--dropped (1+ dropped)))
        (should-not sedd--suggestion)))))

(ert-deftest sedd-fill-region ()
  (sedd-test--with-settings ()
    (setq sedd--sent nil)
    (sedd-test--in-buffer "før XYZ\nmid\nABC after" #'text-mode
      (let (result)
        (sedd-fill-region 5 16 (lambda (err fill) (setq result (list err fill))))
        (should (sedd-test--wait 10 (lambda () result)))
        (should-not (car result))
        (let ((params (nth 2 (car (last (sedd-test--sent "sedd/infill"))))))
          (should (equal (plist-get params :length) 8))
          (should (equal (aref (plist-get params :ranges) 0)
                         '(:start (:line 0 :character 4) :end (:line 2 :character 3)))))
        (should (equal (buffer-string) (concat "før " (cadr result) " after")))))))

(ert-deftest sedd-mode-switch-and-toggle ()
  (sedd-test--with-settings ((sedd-disabled-modes '(markdown-mode text-mode)))
    (sedd-test--in-buffer "# title" #'text-mode
      (should-not (sedd-enabled-p)))
    (sedd-test--in-buffer "x" #'prog-mode
      (should (sedd-enabled-p))
      (sedd-toggle 0)
      (should-not (sedd-enabled-p))
      (sedd-toggle 1)
      (should (sedd-enabled-p)))))

(ert-deftest sedd-restart-after-death ()
  (sedd-test--with-settings ()
    (sedd-test--in-buffer "first" #'text-mode
      (goto-char 3)
      (sedd-complete)
      (sedd-test--wait-suggestion)
      (let ((starts sedd--starts))
        (kill-process (jsonrpc--process sedd--connection))
        (should (sedd-test--wait 5 (lambda () (null sedd--connection))))
        (should (string-match-p "exited" sedd--error))
        (setq sedd--sent nil)
        (goto-char 2)
        (sedd-complete)
        (sedd-test--wait-suggestion)
        (should (= sedd--starts (1+ starts)))
        (should (= (length (sedd-test--sent "textDocument/didOpen")) 1))))))

(defun sedd-test--socket (transport listen)
  (sedd-stop)
  (let ((daemon (start-process "sedd-test-daemon" nil sedd-test-binary "serve" "--model" sedd-test-model
                               "--listen" listen))
        ok)
    (unwind-protect
        (sedd-test--with-settings ((sedd-transport transport))
          (sedd-restart)
          (dotimes (_ 50)
            (unless ok
              (sedd-test--in-buffer "sock" #'text-mode
                (goto-char 3)
                (sedd-complete)
                (sedd-test--wait 3 (lambda () (or sedd--suggestion sedd--error)))
                (if sedd--suggestion (setq ok t) (sedd-restart) (sleep-for 0.1)))))
          (should ok)
          (should (eq (process-type (jsonrpc--process sedd--connection)) 'network))
          (sedd-restart))
      (delete-process daemon))))

(ert-deftest sedd-unix-socket ()
  (let ((path (concat (make-temp-name (expand-file-name "sedd-" temporary-file-directory)) ".sock")))
    ;; The daemon is killed outright, so its socket file is left for the test to remove.
    (unwind-protect (sedd-test--socket (concat "unix:" path) (concat "unix:" path))
      (when (file-exists-p path) (delete-file path)))))

(ert-deftest sedd-tcp ()
  (let ((port (+ 20000 (% (+ (emacs-pid) 13) 20000))))
    (sedd-test--socket (format "tcp:127.0.0.1:%d" port) (format "tcp:127.0.0.1:%d" port))))

(ert-deftest sedd-protocol-version-refused ()
  (let* ((fake (make-temp-file "sedd-fake"))
         (body "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"capabilities\":{},\"sedd\":{\"protocolVersion\":2}}}"))
    (with-temp-file fake
      (insert "#!/bin/sh\n" (format "printf 'Content-Length: %d\\r\\n\\r\\n%%s' '%s'\n" (length body) body)
              "exec cat >/dev/null\n"))
    (set-file-modes fake #o700)
    (unwind-protect
        (sedd-test--with-settings ((sedd-binary fake))
          (sedd-restart)
          (sedd-test--in-buffer "x" #'text-mode
            (sedd-complete)
            (should (sedd-test--wait 5 (lambda () sedd--error)))
            (should (string-match-p "protocolVersion 2" sedd--error))
            (should-not sedd--connection)))
      (delete-file fake))
    (sedd-restart)))

;;; sedd-tests.el ends here
