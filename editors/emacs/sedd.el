;;; sedd.el --- Code infill ghost text from a warm sedd daemon  -*- lexical-binding: t; -*-

;; Version: 1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: tools, convenience

;;; Commentary:

;; `sedd-mode' shows a suggestion from `sedd serve' as ghost text (an overlay) at point while you
;; type.  After `sedd-debounce' ms of quiet it sends one `sedd/infill' request for a hole at point
;; over the built-in jsonrpc.el; a newer request cancels the one in flight ($/cancelRequest) and
;; answers that arrive after the buffer or point moved are dropped.  The daemon is started over stdio
;; (or reached on a Unix or TCP socket, `sedd-transport') and started again if it dies.
;;
;;   (require 'sedd)
;;   (setq sedd-model "~/models/code")
;;   (global-sedd-mode 1)
;;
;; Keys while a suggestion shows: TAB accept, C-e accept the line, M-f accept a word, C-g dismiss.
;; C-c C-s asks for a suggestion now; C-c C-f fills the region.  M-x sedd-status shows the state.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'jsonrpc)

(defgroup sedd nil "Code infill from a sedd daemon." :group 'tools :prefix "sedd-")

(defcustom sedd-binary "sedd" "The sedd executable." :type 'string)
(defcustom sedd-model ""
  "Model directory for `sedd serve --model'; empty uses the daemon's default model." :type 'string)
(defcustom sedd-transport "stdio"
  "How to reach the daemon.
\"stdio\" starts `sedd serve'; \"unix:PATH\" or \"tcp:HOST:PORT\" connect
to a running `sedd serve --listen'."
  :type 'string)
(defcustom sedd-steps 16 "Denoising steps per suggestion (1..1024)." :type 'integer)
(defcustom sedd-span 32 "Hole size in model tokens (suggestions and region fills)." :type 'integer)
(defcustom sedd-debounce 150 "Milliseconds of quiet before a request." :type 'integer)
(defcustom sedd-deadline 0
  "Milliseconds to answer in; 0 means no deadline.
Above 0 the daemon lowers the steps so the answer fits."
  :type 'integer)
(defcustom sedd-stop "none" "\"line\" asks for single-line suggestions; \"none\" for multi-line."
  :type '(choice (const "none") (const "line")))
(defcustom sedd-seed nil "A number makes suggestions reproducible; nil is random."
  :type '(choice (const nil) integer))
(defcustom sedd-disabled-modes '()
  "Major modes (and their derived modes) where `global-sedd-mode' stays off." :type '(repeat symbol))

(defface sedd-ghost '((t :inherit shadow)) "Face of the ghost text.")

(defconst sedd-protocol-version 1 "The daemon protocol version this client speaks.")

;;;; Pure helpers

(defun sedd--utf16-length (string)
  "UTF-16 code units in STRING (LSP's default position unit)."
  (cl-loop for c across string sum (if (> c #xFFFF) 2 1)))

(defun sedd--position (&optional pos)
  "The LSP position (plist) of POS (default point), in UTF-16 columns."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (or pos (point)))
      (list :line (1- (line-number-at-pos))
            :character (sedd--utf16-length (buffer-substring-no-properties (line-beginning-position) (point)))))))

(defconst sedd--language-ids
  '((emacs-lisp . "emacs-lisp") (lisp-interaction . "emacs-lisp") (c++ . "cpp") (js . "javascript")
    (js2 . "javascript") (sh . "shellscript") (bash . "shellscript") (text . "plaintext")
    (fundamental . "plaintext") (makefile-gmake . "makefile") (tsx . "typescriptreact") (cs . "csharp"))
  "Major-mode names (without -mode and -ts) whose LSP languageId differs.")

(defun sedd--language-id (&optional mode)
  "The LSP languageId of MODE (default `major-mode')."
  (let* ((name (replace-regexp-in-string "\\(-ts\\)?-mode\\'" "" (symbol-name (or mode major-mode))))
         (known (alist-get (intern name) sedd--language-ids)))
    (or known name)))

(defun sedd--take (ghost kind)
  "The part of GHOST accepted by KIND: `all', `line' or `word'.
line: up to the first newline (a newline and the next line when
GHOST starts with one).  word: blanks, then a run of word
characters or of punctuation; a newline alone at a line end."
  (pcase kind
    ('all ghost)
    ('line (if (string-match "\\`[^\n]+" ghost) (match-string 0 ghost)
             (string-match "\\`\n[^\n]*" ghost) (match-string 0 ghost)))
    (_ (cond ((string-prefix-p "\n" ghost) "\n")
             ((string-match "\\`[ \t]*\\(?:[[:alnum:]_[:nonascii:]]+\\|[[:punct:]]+\\)?" ghost)
              (match-string 0 ghost))))))

(defun sedd--trim-repeat (fill after)
  "FILL without an end that repeats AFTER (the rest of the line).
For example a closing bracket that is already there."
  (let ((after (string-trim-right after)))
    (if (and (not (string-empty-p after)) (string-suffix-p after fill))
        (substring fill 0 (- (length fill) (length after)))
      fill)))

(defun sedd--display (string)
  "STRING as drawn: control characters other than newline and tab as ^X."
  (replace-regexp-in-string "[\0-\10\13-\37\177]"
                            (lambda (c) (let ((b (aref c 0))) (if (= b 127) "^?" (format "^%c" (+ b 64)))))
                            string t t))

;;;; The connection

(defvar sedd--connection nil "The ready jsonrpc connection, or nil.")
(defvar sedd--connecting nil "The connection while `initialize' is in flight.")
(defvar sedd--waiting nil "Functions called with (CONNECTION ERROR) once a connection is ready or failed.")
(defvar sedd--info nil "The `sedd' object of the daemon's `initialize' result.")
(defvar sedd--error nil "The last connection error, a string.")
(defvar sedd--starts 0 "Connections made since the last `sedd-restart'.")
(defvar sedd--restarts nil "Times of automatic restarts in the last minute.")
(defvar sedd--sent nil "The last messages sent, newest first: (METHOD ID PARAMS) (tests read this).")

(defclass sedd-daemon-connection (jsonrpc-process-connection)
  ((synced :initform nil :accessor sedd--synced :documentation "Alist buffer -> (URI VERSION TICK)."))
  :documentation "A jsonrpc connection to sedd serve.")

(defun sedd--record (method id params)
  (push (list (string-remove-prefix ":" (format "%s" method)) id params) sedd--sent)
  (when (> (length sedd--sent) 200) (setq sedd--sent (butlast sedd--sent 50))))

(defun sedd--request (conn method params success error)
  "Sends METHOD with PARAMS on CONN; returns the request id.
SUCCESS gets the result, ERROR the error object."
  ;; jsonrpc-async-request returns nil in jsonrpc 1.0.14; its worker returns (ID TIMER), and the id
  ;; is what $/cancelRequest needs.
  (let ((id (car (jsonrpc--async-request-1 conn method params :success-fn success
                                           :error-fn (lambda (e) (funcall error e)) :timeout nil))))
    (sedd--record method id params)
    id))

(defun sedd--notify (conn method params)
  (sedd--record method nil params)
  (ignore-errors (jsonrpc-notify conn method params)))

(defun sedd--cancel (conn id)
  "Cancels request ID on CONN; its error handler gets RequestCancelled."
  (when (and conn id (jsonrpc-running-p conn))
    (sedd--notify conn '$/cancelRequest (list :id id))))

(defun sedd--daemon-settings ()
  (list :steps sedd-steps :span sedd-span :deadlineMs (if (> sedd-deadline 0) sedd-deadline nil)))

(defun sedd--make-process (name)
  "A process for `sedd-transport', or signals an error naming what failed."
  (cond
   ((member sedd-transport '("stdio" ""))
    (make-process :name name :command (append (list sedd-binary "serve")
                                              (unless (string-empty-p sedd-model)
                                                (list "--model" (expand-file-name sedd-model))))
                  :connection-type 'pipe :coding 'utf-8-emacs-unix :noquery t
                  :stderr (get-buffer-create (format "*%s stderr*" name))))
   ((string-match "\\`unix:\\(.+\\)\\'" sedd-transport)
    (make-network-process :name name :family 'local :service (match-string 1 sedd-transport)
                          :coding 'utf-8-emacs-unix :noquery t))
   ((string-match "\\`tcp:\\(.+\\):\\([0-9]+\\)\\'" sedd-transport)
    (make-network-process :name name :host (match-string 1 sedd-transport)
                          :service (string-to-number (match-string 2 sedd-transport))
                          :coding 'utf-8-emacs-unix :noquery t))
   (t (error "sedd-transport must be \"stdio\", \"unix:PATH\" or \"tcp:HOST:PORT\", got %S" sedd-transport))))

(defun sedd--fail-waiting (message)
  (let ((waiting sedd--waiting))
    (setq sedd--waiting nil)
    (dolist (f waiting) (funcall f nil message))))

(defun sedd--on-shutdown (conn)
  (when (memq conn (list sedd--connection sedd--connecting))
    (let ((proc (jsonrpc--process conn)))
      (setq sedd--connection nil sedd--connecting nil
            sedd--error (if (eq (process-type proc) 'real)
                            (format "daemon exited (%s %s)" (process-status proc) (process-exit-status proc))
                          "connection closed by the daemon")))
    (sedd--fail-waiting sedd--error)))

(defun sedd--with-connection (callback)
  "Calls CALLBACK with (CONNECTION nil) once connected, or (nil ERROR).
A daemon that died is started again, at most 5 times a minute (then \\[sedd-restart])."
  (if (and sedd--connection (jsonrpc-running-p sedd--connection))
      (funcall callback sedd--connection nil)
    (push callback sedd--waiting)
    (unless sedd--connecting
      (let ((now (float-time)))
        (setq sedd--restarts (cl-remove-if (lambda (t0) (> (- now t0) 60)) sedd--restarts))
        (if (and (> sedd--starts 0) (>= (length sedd--restarts) 5))
            (sedd--fail-waiting (format "the daemon died 5 times in a minute; M-x sedd-restart tries again (%s)"
                                        sedd--error))
          (when (> sedd--starts 0) (push now sedd--restarts))
          (cl-incf sedd--starts)
          (condition-case err
              (let ((conn (make-instance 'sedd-daemon-connection :name "sedd"
                                         :process (lambda () (sedd--make-process "sedd"))
                                         :on-shutdown #'sedd--on-shutdown
                                         :notification-dispatcher #'ignore
                                         :request-dispatcher #'ignore)))
                (setq sedd--connecting conn)
                (sedd--request
                 conn :initialize
                 (list :processId (emacs-pid) :clientInfo (list :name "sedd.el" :version "1")
                       :capabilities (list :general (list :positionEncodings ["utf-16"]))
                       :initializationOptions (sedd--daemon-settings))
                 (lambda (result) (sedd--initialized conn result nil))
                 (lambda (e) (sedd--initialized conn nil e))))
            (error (when sedd--connecting (ignore-errors (jsonrpc-shutdown sedd--connecting t)))
                   (setq sedd--error (error-message-string err) sedd--connecting nil)
                   (sedd--fail-waiting sedd--error))))))))

(defun sedd--initialized (conn result error)
  (when (eq conn sedd--connecting)
    (setq sedd--connecting nil)
    (let ((version (plist-get (plist-get result :sedd) :protocolVersion)))
      (if (or error (not (equal version sedd-protocol-version)))
          (progn
            (setq sedd--error
                  (if error (format "initialize failed: %s" (plist-get error :message))
                    (format "the daemon speaks protocolVersion %s; this client needs %d (update sedd or sedd.el)"
                            version sedd-protocol-version)))
            (ignore-errors (jsonrpc-shutdown conn))
            (sedd--fail-waiting sedd--error))
        (setq sedd--info (plist-get result :sedd) sedd--error nil sedd--connection conn)
        (sedd--notify conn :initialized (make-hash-table))
        (let ((waiting (reverse sedd--waiting)))
          (setq sedd--waiting nil)
          (dolist (f waiting) (funcall f conn nil)))))))

(defun sedd--percent-encode (string)
  "STRING with every byte outside A-Z a-z 0-9 / . _ ~ - as %XX (of its UTF-8)."
  (mapconcat (lambda (byte) (if (string-match-p "[A-Za-z0-9/._~-]" (string byte)) (string byte)
                              (format "%%%02X" byte)))
             (encode-coding-string string 'utf-8) ""))

(defun sedd--uri (&optional buffer)
  "The document uri of BUFFER: file://PATH, or untitled:NAME without a file."
  (let ((file (buffer-file-name buffer)))
    (if file (concat "file://" (sedd--percent-encode (expand-file-name file)))
      (concat "untitled:" (sedd--percent-encode (buffer-name buffer))))))

(defun sedd--sync (conn)
  "Opens the current buffer's document on CONN, or sends its text.
The full text goes out when the buffer changed since.  Returns the uri."
  (let* ((tick (buffer-modified-tick))
         (state (alist-get (current-buffer) (sedd--synced conn))))
    (if (and state (= (nth 2 state) tick))
        (car state)
      (let ((text (save-restriction (widen) (buffer-substring-no-properties (point-min) (point-max)))))
        (if (not state)
            (let ((uri (sedd--uri)))
              (setf (alist-get (current-buffer) (sedd--synced conn)) (list uri 0 tick))
              (sedd--notify conn :textDocument/didOpen
                            (list :textDocument (list :uri uri :languageId (sedd--language-id)
                                                      :version 0 :text text)))
              uri)
          (let ((version (1+ (nth 1 state))))
            (setf (alist-get (current-buffer) (sedd--synced conn)) (list (car state) version tick))
            (sedd--notify conn :textDocument/didChange
                          (list :textDocument (list :uri (car state) :version version)
                                :contentChanges (vector (list :text text))))
            (car state)))))))

(defun sedd--close-buffer ()
  (when-let* ((conn sedd--connection)
              (state (alist-get (current-buffer) (sedd--synced conn))))
    (setf (alist-get (current-buffer) (sedd--synced conn) nil 'remove) nil)
    (sedd--notify conn :textDocument/didClose (list :textDocument (list :uri (car state))))))

(defun sedd-stop ()
  "Ends the connection (a daemon started over stdio exits)."
  (interactive)
  (dolist (conn (list sedd--connection sedd--connecting))
    (when conn
      (let ((sedd--connection nil) (sedd--connecting nil)) ; no error report for our own stop
        (ignore-errors (jsonrpc-shutdown conn t)))))
  (setq sedd--connection nil sedd--connecting nil))

(defun sedd-restart ()
  "Stops the connection and forgets past failures.
The next request starts the daemon or connects again."
  (interactive)
  (sedd-stop)
  (setq sedd--starts 0 sedd--restarts nil sedd--error nil))

;;;; Suggestions

(defvar sedd--enabled t "Nil after `sedd-toggle' turned suggestions off.")
(defvar sedd-mode)
(defvar-local sedd--pending nil "(CONN ID TICK POINT SENT-AT) of the request in flight.")
(defvar-local sedd--suggestion nil "(POINT TEXT) of the suggestion shown.")
(defvar-local sedd--overlay nil)
(defvar-local sedd--keep nil "(TICK POINT) of our own partial accept, which must not dismiss.")
(defvar-local sedd--tick nil "`buffer-modified-tick' after the last command.")
(defvar sedd--timer nil)
(defvar sedd--last (list :latency nil :steps nil :error nil) "The last answer, for the status.")
(defvar sedd--dropped 0 "Stale answers thrown away (tests read this).")

(defun sedd--clear-overlay ()
  (when sedd--overlay (delete-overlay sedd--overlay) (setq sedd--overlay nil)))

(defun sedd--show (pos text)
  "Draws TEXT as ghost text at POS."
  (sedd--clear-overlay)
  (let ((shown (propertize (sedd--display text) 'face 'sedd-ghost)))
    (when (> (length shown) 0) (put-text-property 0 1 'cursor t shown))
    (setq sedd--overlay (make-overlay pos pos nil nil nil))
    (overlay-put sedd--overlay 'after-string shown)
    (overlay-put sedd--overlay 'priority 1000)))

(defun sedd--cancel-pending ()
  (when sedd--pending
    (sedd--cancel (nth 0 sedd--pending) (nth 1 sedd--pending))
    (setq sedd--pending nil)))

(defun sedd-dismiss ()
  "Removes the ghost text and cancels the request in flight."
  (interactive)
  (when sedd--timer (cancel-timer sedd--timer) (setq sedd--timer nil))
  (sedd--cancel-pending)
  (sedd--clear-overlay)
  (setq sedd--suggestion nil sedd--keep nil))

(defun sedd-enabled-p ()
  "Whether suggestions while typing are on in this buffer."
  (and sedd--enabled sedd-mode (not (apply #'derived-mode-p sedd-disabled-modes))))

(defun sedd--request-params (uri)
  "The sedd/infill params for a hole at point of the current buffer, synced as URI."
  (let ((pos (sedd--position)))
    (append (list :textDocument (list :uri uri) :ranges (vector (list :start pos :end pos))
                  :languageId (sedd--language-id))
            (unless (equal sedd-stop "none") (list :stop sedd-stop))
            (when sedd-seed (list :seed sedd-seed)))))

(defun sedd--on-answer (buffer pending result error)
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (if (not (eq pending sedd--pending))
          (cl-incf sedd--dropped)
        (setq sedd--pending nil)
        (cond
         (error (unless (eql (plist-get error :code) -32800)
                  (plist-put sedd--last :error (plist-get error :message))))
         ((or (not (eq (window-buffer (selected-window)) buffer))
              (/= (buffer-modified-tick) (nth 2 pending)) (/= (point) (nth 3 pending)))
          (cl-incf sedd--dropped))
         (t
          (setq sedd--last (list :latency (* 1000 (- (float-time) (nth 4 pending)))
                                 :steps (plist-get result :steps) :error nil))
          (let* ((item (aref (plist-get result :items) 0))
                 (fill (sedd--trim-repeat (aref (plist-get item :fills) 0)
                                          (buffer-substring-no-properties (point) (line-end-position)))))
            (unless (string-empty-p fill)
              (setq sedd--suggestion (list (point) fill))
              (sedd--show (point) fill)))))
        (force-mode-line-update)))))

(defun sedd-complete ()
  "Asks for a suggestion at point now, cancelling the one in flight."
  (interactive)
  (sedd-dismiss)
  (let ((buffer (current-buffer)) (tick (buffer-modified-tick)) (pos (point)))
    (sedd--with-connection
     (lambda (conn error)
       (if (not conn)
           (progn (plist-put sedd--last :error error) (force-mode-line-update))
         (when (buffer-live-p buffer)
           (with-current-buffer buffer
             (when (and (= tick (buffer-modified-tick)) (= pos (point)))
               (sedd--cancel-pending)
               (let* ((uri (sedd--sync conn))
                      (pending (list conn nil tick pos (float-time))))
                 (setq sedd--pending pending)
                 (setf (nth 1 pending)
                       (sedd--request conn :sedd/infill (sedd--request-params uri)
                                      (lambda (result) (sedd--on-answer buffer pending result nil))
                                      (lambda (e) (sedd--on-answer buffer pending nil e)))))))))))))

(defun sedd-accept (&optional kind)
  "Inserts all of the suggestion, or its first line or word.
KIND is `all' (the default), `line' or `word'.  The rest stays as
ghost text.  Returns nil when no suggestion is at point."
  (interactive)
  (let ((s sedd--suggestion))
    (when (and s (= (point) (car s)))
      (let* ((piece (sedd--take (cadr s) (or kind 'all)))
             (rest (substring (cadr s) (length piece))))
        (sedd-dismiss)
        (insert piece)
        (unless (string-empty-p rest)
          (setq sedd--suggestion (list (point) rest)
                sedd--keep (list (buffer-modified-tick) (point)))
          (sedd--show (point) rest))
        t))))

(defun sedd-accept-line () "Accepts the suggestion's first line." (interactive) (sedd-accept 'line))
(defun sedd-accept-word () "Accepts the suggestion's first word." (interactive) (sedd-accept 'word))

(defun sedd--post-command ()
  "After a command: dismiss the suggestion, and ask again after an edit.
The rest of a partly accepted suggestion stays."
  (let ((tick (buffer-modified-tick)))
    (unless (and sedd--keep (= (car sedd--keep) tick) (= (cadr sedd--keep) (point)))
      (when (or sedd--suggestion sedd--pending) (sedd-dismiss))
      (when (and (not (eql tick sedd--tick)) (sedd-enabled-p) (not (minibufferp)))
        (let ((buffer (current-buffer)))
          (when sedd--timer (cancel-timer sedd--timer))
          (setq sedd--timer (run-with-timer (/ sedd-debounce 1000.0) nil
                                            (lambda () (when (eq buffer (current-buffer)) (sedd-complete))))))))
    (setq sedd--tick tick)))

(defun sedd-fill-region (beg end &optional callback)
  "Replaces the region BEG..END with a fill of `sedd-span' tokens.
CALLBACK, if given, gets (ERROR FILL)."
  (interactive "r")
  (sedd-dismiss)
  (let ((buffer (current-buffer)) (tick (buffer-modified-tick))
        (start (sedd--position beg)) (stop (sedd--position end))
        (beg (copy-marker beg)) (end (copy-marker end t))
        (callback (or callback (lambda (err _) (when err (message "sedd: %s" err))))))
    (sedd--with-connection
     (lambda (conn error)
       (if (not conn) (funcall callback error nil)
         (with-current-buffer buffer
           (let ((sent-at (float-time)))
             (sedd--request
              conn :sedd/infill
              (append (list :textDocument (list :uri (sedd--sync conn)) :ranges (vector (list :start start :end stop))
                            :length sedd-span :languageId (sedd--language-id))
                      (when sedd-seed (list :seed sedd-seed)))
              (lambda (result)
                (with-current-buffer buffer
                  (if (/= tick (buffer-modified-tick))
                      (funcall callback "the buffer changed; fill dropped" nil)
                    (setq sedd--last (list :latency (* 1000 (- (float-time) sent-at))
                                           :steps (plist-get result :steps) :error nil))
                    (let ((fill (aref (plist-get (aref (plist-get result :items) 0) :fills) 0)))
                      (save-excursion (goto-char beg) (delete-region beg end) (insert fill))
                      (funcall callback nil fill)))))
              (lambda (e)
                (plist-put sedd--last :error (plist-get e :message))
                (funcall callback (plist-get e :message) nil))))))))))

(defun sedd-toggle (&optional arg)
  "Turns suggestions while typing off or on.
With ARG, on when it is positive, else off."
  (interactive "P")
  (setq sedd--enabled (if arg (> (prefix-numeric-value arg) 0) (not sedd--enabled)))
  (unless sedd--enabled (sedd-dismiss))
  (message "sedd: suggestions %s" (if sedd--enabled "on" "off")))

(defun sedd-status-string ()
  "A short status: \"sedd 83ms 16 steps\", \"sedd off\" or \"sedd: ERROR\"."
  (cond ((not (sedd-enabled-p)) "sedd off")
        ((plist-get sedd--last :error) (concat "sedd: " (plist-get sedd--last :error)))
        ((and sedd--error (not sedd--connection)) (concat "sedd: " sedd--error))
        (sedd--pending "sedd …")
        ((plist-get sedd--last :latency)
         (format "sedd %dms %d steps" (round (plist-get sedd--last :latency)) (plist-get sedd--last :steps)))
        (t "sedd")))

(defun sedd-status ()
  "Shows the status, the settings and the daemon."
  (interactive)
  (message "%s\ntransport %s, binary %s, model %s\nsteps %d, span %d, debounce %dms, deadline %s%s"
           (sedd-status-string) sedd-transport sedd-binary
           (if (string-empty-p sedd-model) "(default)" sedd-model) sedd-steps sedd-span sedd-debounce
           (if (> sedd-deadline 0) (format "%dms" sedd-deadline) "none")
           (if sedd--info (format "\ndaemon: model %s, context %s tokens" (plist-get sedd--info :model)
                                  (plist-get sedd--info :contextLength))
             "")))

;;;; Modes

(defvar sedd-completion-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'sedd-accept)
    (define-key map (kbd "<tab>") #'sedd-accept)
    (define-key map (kbd "C-e") #'sedd-accept-line)
    (define-key map (kbd "M-f") #'sedd-accept-word)
    (define-key map (kbd "C-g") #'sedd-dismiss)
    map)
  "Keys active while a suggestion is shown.")

(defvar sedd-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-s") #'sedd-complete)
    (define-key map (kbd "C-c C-f") #'sedd-fill-region)
    map)
  "Keys of `sedd-mode'.")

(defvar-local sedd--active nil "Non-nil while a suggestion is shown (enables `sedd-completion-map').")
(add-to-list 'minor-mode-map-alist (cons 'sedd--active sedd-completion-map))
(add-variable-watcher 'sedd--suggestion
                      (lambda (_ value _op where)
                        (when (buffer-live-p where) (with-current-buffer where (setq sedd--active (and value t))))))

;;;###autoload
(define-minor-mode sedd-mode
  "Ghost-text code infill from a sedd daemon."
  :lighter (:eval (concat " " (sedd-status-string)))
  :keymap sedd-mode-map
  (if sedd-mode
      (progn (setq sedd--tick (buffer-modified-tick))
             (add-hook 'post-command-hook #'sedd--post-command nil t)
             (add-hook 'kill-buffer-hook #'sedd--close-buffer nil t))
    (sedd-dismiss)
    (sedd--close-buffer)
    (remove-hook 'post-command-hook #'sedd--post-command t)
    (remove-hook 'kill-buffer-hook #'sedd--close-buffer t)))

(defun sedd--turn-on ()
  (unless (or (minibufferp) (string-prefix-p " " (buffer-name)) (apply #'derived-mode-p sedd-disabled-modes))
    (sedd-mode 1)))

;;;###autoload
(define-globalized-minor-mode global-sedd-mode sedd-mode sedd--turn-on)

(add-hook 'kill-emacs-hook #'sedd-stop)

(provide 'sedd)
;;; sedd.el ends here
