# bash completion for lakectl
_lakectl()
{
	local cur prev words cword
	_init_completion || return
	local cmds="link tables sync ingest snapshot status push unlink relink ls cat"
	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--store|--schema|--client-secret-file|--ca-file|--adls-key-file|--adls-sas-file|--adls-client-secret-file)
		_filedir
		return ;;
	--partition)
		COMPREPLY=($(compgen -W "year month" -- "$cur"))
		return ;;
	esac
	local opts="--store --help"
	case ${words[1]} in
	link) opts+=" --environment --organization --dataverse-url --tenant-id --client-id --client-secret-file --token-url --ca-file --page-size --adls-url --adls-account --adls-key-file --adls-sas-file --adls-tenant-id --adls-client-id --adls-client-secret-file --adls-token-url --adopt" ;;
	tables)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "add remove list available" -- "$cur"))
			return
		fi
		opts+=" --schema --append-only --partition" ;;
	sync) opts+=" --once --follow --interval --snapshot-interval" ;;
	ingest) opts+=" --batch"; _filedir ;;
	status) opts+=" --json" ;;
	ls) opts+=" -R -l" ;;
	unlink) opts+=" --delete-file-system --yes" ;;
	relink) opts+=" --adopt" ;;
	esac
	COMPREPLY+=($(compgen -W "$opts" -- "$cur"))
}
complete -F _lakectl lakectl
